import { describe, expect, it } from "vitest";
import { createAgentOutputReader } from "./agent-output.js";

/** Feeds lines to a reader and returns the stop reasons it gave, then its report. */
function read(format: Parameters<typeof createAgentOutputReader>[0], lines: unknown[], maxRetries = 2) {
  const reader = createAgentOutputReader(format, { maxRetries });
  const text = lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line)));
  const stops = text.map((line) => reader.readLine(line));
  return { stops, report: reader.report(`${text.join("\n")}\n`) };
}

// Shapes as Claude Code 2.1.332 printed them against the fake server (fields this reader ignores left out).
describe("the Claude Code stream reader", () => {
  it("reads the final text, the usage with cache reads and writes counted as input, the cost and the model", () => {
    const { stops, report } = read("claude-stream-json", [
      "not json: a warning",
      { type: "system", subtype: "init", model: "claude-sonnet-4-5" },
      { type: "assistant", message: { content: [{ type: "tool_use", name: "Read" }] } },
      {
        type: "result",
        subtype: "success",
        is_error: false,
        result: "Done.\nDESCRIPTION: raise x to 2",
        total_cost_usd: 0.00508,
        usage: {
          input_tokens: 800,
          cache_read_input_tokens: 400,
          cache_creation_input_tokens: 100,
          output_tokens: 90,
        },
        modelUsage: { "claude-sonnet-4-5-20250929": { costUSD: 0.00508 } },
      },
    ]);
    expect(stops).toEqual([undefined, undefined, undefined, undefined]);
    expect(report).toEqual({
      text: "Done.\nDESCRIPTION: raise x to 2",
      usage: { inputTokens: 1300, outputTokens: 90, cachedInputTokens: 400 },
      costUsd: 0.00508,
      model: "claude-sonnet-4-5-20250929",
    });
  });

  it("stops at the first retry of a refused key, but lets other retries run", () => {
    const { stops } = read("claude-stream-json", [
      { type: "system", subtype: "api_retry", attempt: 1, error_status: 529, error: "overloaded" },
      { type: "system", subtype: "api_retry", attempt: 2, error_status: 401, error: "authentication_failed" },
    ]);
    expect(stops[0]).toBeUndefined();
    expect(stops[1]).toBe(
      "the model provider rejected the credentials (HTTP 401: authentication_failed); check the API key the agent gets.",
    );
  });

  it("reports the agent's own error", () => {
    const { report } = read("claude-stream-json", [
      {
        type: "result",
        is_error: true,
        result: "API Error: Connection refused (ECONNREFUSED)",
        total_cost_usd: 0,
        usage: { input_tokens: 0, output_tokens: 0 },
      },
    ]);
    expect(report).toMatchObject({
      error: "API Error: Connection refused (ECONNREFUSED)",
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
    });
  });

  it("falls back to the last assistant text when the stream ends without a result", () => {
    const { report } = read("claude-stream-json", [
      { type: "assistant", message: { content: [{ type: "text", text: "DESCRIPTION: partial" }] } },
    ]);
    expect(report).toEqual({ text: "DESCRIPTION: partial" });
  });
});

describe("the Qwen Code stream reader", () => {
  it("counts input tokens as Qwen Code does (cache reads included) and reports no cost", () => {
    const { report } = read("qwen-stream-json", [
      { type: "system", subtype: "init", model: "qwen3-coder" },
      {
        type: "result",
        is_error: false,
        result: "DESCRIPTION: raise x to 2",
        usage: { input_tokens: 1200, output_tokens: 90, cache_read_input_tokens: 400 },
      },
    ]);
    expect(report).toEqual({
      text: "DESCRIPTION: raise x to 2",
      usage: { inputTokens: 1200, outputTokens: 90, cachedInputTokens: 400 },
      model: "qwen3-coder",
    });
  });

  it("reports the error message of a failed run", () => {
    const { report } = read("qwen-stream-json", [
      {
        type: "result",
        subtype: "error_during_execution",
        is_error: true,
        usage: { input_tokens: 0, output_tokens: 0 },
        error: { message: "[API Error: 401 Incorrect API key provided.]" },
      },
    ]);
    expect(report.error).toBe("[API Error: 401 Incorrect API key provided.]");
  });
});

describe("the Codex event reader", () => {
  it("reads the last agent message and sums the usage of every turn", () => {
    const { report } = read("codex-json", [
      { type: "thread.started", thread_id: "t" },
      { type: "item.completed", item: { type: "agent_message", text: "thinking aloud" } },
      { type: "turn.completed", usage: { input_tokens: 600, cached_input_tokens: 200, output_tokens: 30 } },
      { type: "item.completed", item: { type: "agent_message", text: "DESCRIPTION: raise x to 2" } },
      { type: "turn.completed", usage: { input_tokens: 500, cached_input_tokens: 200, output_tokens: 40 } },
    ]);
    expect(report).toEqual({
      text: "DESCRIPTION: raise x to 2",
      usage: { inputTokens: 1100, outputTokens: 70, cachedInputTokens: 400 },
    });
  });

  it("stops after more connection failures in a row than the retries allow; other events reset the count", () => {
    const waiting = { type: "error", message: "Reconnecting... waiting for network (Connection failed)" };
    const { stops } = read(
      "codex-json",
      [waiting, waiting, { type: "turn.started" }, waiting, waiting, waiting],
      2,
    );
    expect(stops.slice(0, 5)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(stops[5]).toBe(
      "it could not reach its model provider (3 failed attempts in a row: Reconnecting... waiting for network (Connection failed)).",
    );
  });

  it("stops at once when the key is refused, and reports a failed turn", () => {
    const { stops, report } = read("codex-json", [
      { type: "error", message: "Reconnecting... 2/5 (unexpected status 404 Not Found: no websocket)" },
      {
        type: "error",
        message: "Reconnecting... 1/5 (unexpected status 401 Unauthorized: Incorrect API key)",
      },
      { type: "turn.failed", error: { message: "unexpected status 401 Unauthorized" } },
    ]);
    expect(stops[0]).toBeUndefined();
    expect(stops[1]).toMatch(/^the model provider rejected the credentials \(HTTP 401: Reconnecting/);
    expect(report).toEqual({ text: "", error: "unexpected status 401 Unauthorized" });
  });
});

describe("the text reader", () => {
  it("reports the whole output as the text", () => {
    expect(read("text", ["working", "DESCRIPTION: done"]).report).toEqual({
      text: "working\nDESCRIPTION: done\n",
    });
  });
});
