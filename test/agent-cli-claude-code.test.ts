import {
  anthropicToolResults,
  startFakeAnthropicServer,
} from "./fixtures/agent-clis/fake-anthropic-server.js";
import { describeAgentCli } from "./helpers/agent-cli-suite.js";
import { readX } from "./helpers/agent-clis.js";

// Claude Code against a fake Anthropic Messages server: it reads params.json, edits it, and answers with its
// DESCRIPTION line. Claude Code reports the cost itself (from its own price list: the fake model id is priced as
// its family) and its usage without cache reads in `input_tokens`.
describeAgentCli({
  preset: "claude-code",
  model: "claude-sonnet-4-5",
  async startServer(key) {
    const server = await startFakeAnthropicServer({
      acceptKey: key,
      script(request) {
        const directory = /Primary working directory: ([^\s\\]+)/.exec(request.raw)?.[1];
        const file = `${directory}/params.json`;
        const results = anthropicToolResults(request);
        if (results.length === 0) return { toolCalls: [{ name: "Read", arguments: { file_path: file } }] };
        const x = readX(results[0]?.text ?? "");
        if (results.length === 1 && x !== undefined) {
          return {
            toolCalls: [
              {
                name: "Edit",
                arguments: { file_path: file, old_string: `"x": ${x}`, new_string: `"x": ${x + 1}` },
              },
            ],
            usage: { prompt: 300, completion: 40, cached: 200 },
          };
        }
        const edited = results.length === 2 && !results[1]?.isError;
        return {
          text: edited
            ? `Done.\nDESCRIPTION: raise x to ${(x ?? 0) + 1}\nRATIONALE: higher x scored better`
            : `the edit failed: ${results.at(-1)?.text}`,
        };
      },
    });
    return {
      baseURL: server.origin,
      bodies: () => server.requests.map((request) => request.raw),
      close: () => server.close(),
    };
  },
  keyEnv: (key) => ({ ANTHROPIC_API_KEY: key }),
  // Three model calls: 100 + 300 + 100 input tokens (200 of them cache reads), 20 + 40 + 20 output tokens.
  expected: {
    usage: { inputTokens: 500, outputTokens: 80, cachedInputTokens: 200 },
    // Claude Code's own price for Sonnet 4.5: $3/M input, $0.30/M cache reads, $15/M output.
    costUsd: (300 * 3 + 200 * 0.3 + 80 * 15) / 1_000_000,
  },
  badKeyError: /rejected the credentials \(HTTP 401/,
  unreachableError: /Connection refused|ECONNREFUSED/,
});
