import { type ChatMessage, startFakeOpenAIServer, toolMessages } from "./fixtures/llm/fake-openai-server.js";
import { describeAgentCli } from "./helpers/agent-cli-suite.js";
import { readX } from "./helpers/agent-clis.js";

/** A tool message's text: Qwen Code sends it as a string or as text parts. */
function contentText(message: ChatMessage | undefined): string {
  const content = message?.content as unknown;
  if (typeof content === "string") return content;
  return Array.isArray(content) ? content.map((part: { text?: string }) => part.text ?? "").join("") : "";
}

// Qwen Code against a fake chat-completions server (streamed): it reads params.json, edits it, and answers with
// its DESCRIPTION line. Qwen Code reports tokens but no cost: the cost is estimated from `prices`.
describeAgentCli({
  preset: "qwen-code",
  model: "fake-qwen-model",
  prices: { "fake-qwen-model": { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5 } },
  async startServer(key) {
    const server = await startFakeOpenAIServer(
      (request) => {
        // Side requests (a session title, memory) carry no file tools; only the main conversation is scripted.
        const tools = (request.body.tools ?? []) as { function?: { name?: string } }[];
        if (!tools.some((tool) => tool.function?.name === "edit")) return { text: "ok" };
        const directory = /working in the directory: ([^\s\\]+)/.exec(request.raw)?.[1];
        const file = `${directory}/params.json`;
        const results = toolMessages(request);
        if (results.length === 0)
          return { toolCalls: [{ name: "read_file", arguments: { file_path: file } }] };
        const x = readX(contentText(results[0]));
        if (results.length === 1 && x !== undefined) {
          return {
            toolCalls: [
              {
                name: "edit",
                arguments: { file_path: file, old_string: `"x": ${x}`, new_string: `"x": ${x + 1}` },
              },
            ],
            usage: { prompt: 300, completion: 40, cached: 200 },
          };
        }
        const edited = results.length === 2 && /has been updated/.test(contentText(results[1]));
        return {
          text: edited
            ? `Done.\nDESCRIPTION: raise x to ${(x ?? 0) + 1}\nRATIONALE: higher x scored better`
            : `the edit failed: ${contentText(results.at(-1))}`,
        };
      },
      { acceptKey: key },
    );
    return {
      baseURL: server.baseURL,
      bodies: () => server.requests.map((request) => request.raw),
      close: () => server.close(),
    };
  },
  keyEnv: (key) => ({ OPENAI_API_KEY: key }),
  // Three model calls: 100 + 300 + 100 input tokens (200 of them cached), 20 + 40 + 20 output tokens.
  expected: {
    usage: { inputTokens: 500, outputTokens: 80, cachedInputTokens: 200 },
    costUsd: (300 * 1 + 200 * 0.5 + 80 * 2) / 1_000_000,
  },
  badKeyError: /401 Incorrect API key/,
  unreachableError: /printed nothing for 30 s: its model server does not answer/,
});
