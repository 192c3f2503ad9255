import {
  responsesToolOutputs,
  startFakeResponsesServer,
} from "./fixtures/agent-clis/fake-responses-server.js";
import { describeAgentCli } from "./helpers/agent-cli-suite.js";
import { readX } from "./helpers/agent-clis.js";

// Codex against a fake OpenAI Responses server: it reads params.json with a command, edits it with apply_patch,
// and answers with its DESCRIPTION line. Codex reports tokens but no cost: the cost is estimated from `prices`.
describeAgentCli({
  preset: "codex",
  model: "fake-codex-model",
  prices: { "fake-codex-model": { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5 } },
  async startServer(key) {
    const server = await startFakeResponsesServer({
      acceptKey: key,
      script(request) {
        const outputs = responsesToolOutputs(request);
        if (outputs.length === 0)
          return { toolCalls: [{ name: "exec_command", arguments: { cmd: "cat params.json" } }] };
        const x = readX(outputs[0] ?? "");
        if (outputs.length === 1 && x !== undefined) {
          const patch = `*** Begin Patch\n*** Update File: params.json\n@@\n-{"x": ${x}}\n+{"x": ${x + 1}}\n*** End Patch\n`;
          return {
            toolCalls: [{ name: "exec_command", arguments: { cmd: `apply_patch <<'EOF'\n${patch}EOF` } }],
            usage: { prompt: 300, completion: 40, cached: 200 },
          };
        }
        const edited = outputs.length === 2 && /Success/.test(outputs[1] ?? "");
        return {
          text: edited
            ? `Done.\nDESCRIPTION: raise x to ${(x ?? 0) + 1}\nRATIONALE: higher x scored better`
            : `the edit failed: ${outputs.at(-1)}`,
        };
      },
    });
    return {
      baseURL: `${server.origin}/v1`,
      bodies: () => server.requests.map((request) => request.raw),
      close: () => server.close(),
    };
  },
  // The usual OpenAI variable: the preset hands it to Codex as CODEX_API_KEY, the one Codex sends.
  keyEnv: (key) => ({ OPENAI_API_KEY: key }),
  // Three model calls: 100 + 300 + 100 input tokens (200 of them cached), 20 + 40 + 20 output tokens.
  expected: {
    usage: { inputTokens: 500, outputTokens: 80, cachedInputTokens: 200 },
    costUsd: (300 * 1 + 200 * 0.5 + 80 * 2) / 1_000_000,
  },
  badKeyError: /rejected the credentials \(HTTP 401/,
  unreachableError: /could not reach its model provider/,
});
