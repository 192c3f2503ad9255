import type { TokenUsage } from "../spec/records.js";

/**
 * Readers of what coding-agent CLIs print in their machine-readable modes: the final answer (where the
 * DESCRIPTION line is), the agent's own error, the tokens and cost it reports, and, line by line while it runs,
 * the signs that it cannot succeed (a rejected key, a connection that is not coming back) so that the harness
 * stops it instead of waiting for its timeout.
 */

/** What an agent reported about its run. */
export interface AgentReport {
  /** The agent's final answer, or its whole output in text mode. */
  text: string;
  /** The agent's own account of a failure. */
  error?: string;
  usage?: TokenUsage;
  /** The cost the agent computed itself, in USD. */
  costUsd?: number;
  /** The model the agent says it used. */
  model?: string;
}

export interface AgentOutputReader {
  /** One line of standard output, as it arrives; a returned string stops the agent, with that reason. */
  readLine(line: string): string | undefined;
  /** After the agent exited: what it reported. `stdout` is its whole standard output. */
  report(stdout: string): AgentReport;
}

/**
 * `text`: plain output. `claude-stream-json`: Claude Code's `--output-format stream-json`. `codex-json`: the
 * JSONL events of `codex exec --json`. `qwen-stream-json`: Qwen Code's `--output-format stream-json`.
 */
export type AgentOutputFormat = "text" | "claude-stream-json" | "codex-json" | "qwen-stream-json";

export interface AgentOutputReaderOptions {
  /** Connection failures in a row the agent may report before it is stopped (for CLIs that retry forever). */
  maxRetries: number;
}

type Json = Record<string, unknown>;

function parseLine(line: string): Json | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const count = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

function messageText(message: unknown): string | undefined {
  const content = (message as Json | undefined)?.content;
  if (!Array.isArray(content)) return undefined;
  const parts = content
    .filter((block): block is Json => (block as Json)?.type === "text")
    .map((block) => text(block.text) ?? "");
  return parts.length > 0 ? parts.join("\n") : undefined;
}

const rejectedKey = (status: unknown, detail: string) =>
  `the model provider rejected the credentials (HTTP ${status}: ${detail}); check the API key the agent gets.`;

/**
 * Claude Code and Qwen Code print the same kind of stream: an `init` event with the model, `assistant` messages,
 * and a `result` event with the final text, `is_error`, the usage and (Claude Code only) `total_cost_usd`.
 * Claude Code's `input_tokens` leaves out cache reads; Qwen Code's includes them.
 */
function createStreamJsonReader(dialect: "claude" | "qwen"): AgentOutputReader {
  let model: string | undefined;
  let lastText: string | undefined;
  let result: Json | undefined;
  return {
    readLine(line) {
      const event = parseLine(line);
      if (!event) return undefined;
      if (event.type === "system" && event.subtype === "init") model = text(event.model) ?? model;
      if (event.type === "assistant") lastText = messageText(event.message) ?? lastText;
      if (event.type === "result") result = event;
      // A key that was refused once is refused on every retry.
      if (event.type === "system" && event.subtype === "api_retry") {
        const status = event.error_status;
        if (status === 401 || status === 403) return rejectedKey(status, text(event.error) ?? "refused");
      }
      return undefined;
    },
    report(stdout) {
      if (!result) return { text: lastText ?? stdout, ...(model ? { model } : {}) };
      const raw = (result.usage ?? {}) as Json;
      const cached = count(raw.cache_read_input_tokens);
      const input =
        dialect === "claude"
          ? count(raw.input_tokens) + cached + count(raw.cache_creation_input_tokens)
          : count(raw.input_tokens);
      const usage: TokenUsage = {
        inputTokens: input,
        outputTokens: count(raw.output_tokens),
        ...(cached > 0 ? { cachedInputTokens: cached } : {}),
      };
      const models = Object.keys((result.modelUsage ?? {}) as Json);
      const reportedModel = models.length === 1 ? models[0] : model;
      const final = text(result.result) ?? lastText ?? "";
      const errorText =
        text((result.error as Json | undefined)?.message) ??
        (final || text(result.subtype) || "unknown error");
      return {
        text: final,
        ...(result.is_error === true ? { error: errorText } : {}),
        usage,
        ...(typeof result.total_cost_usd === "number" ? { costUsd: result.total_cost_usd } : {}),
        ...(reportedModel ? { model: reportedModel } : {}),
      };
    },
  };
}

/**
 * `codex exec --json`: the last `agent_message` item is the answer, each `turn.completed` carries usage, and
 * `turn.failed` the failure. Codex retries a refused connection forever ("Reconnecting... waiting for
 * network"), so the reader stops it after `maxRetries` such reports in a row; a refused key stops it at once.
 */
function createCodexReader(options: AgentOutputReaderOptions): AgentOutputReader {
  let lastText: string | undefined;
  let failure: string | undefined;
  let usage: TokenUsage | undefined;
  let networkFailures = 0;
  return {
    readLine(line) {
      const event = parseLine(line);
      if (!event) return undefined;
      if (event.type !== "error") networkFailures = 0;
      const item = event.item as Json | undefined;
      if (event.type === "item.completed" && item?.type === "agent_message") lastText = text(item.text);
      if (event.type === "turn.failed")
        failure = text((event.error as Json | undefined)?.message) ?? "turn failed";
      if (event.type === "turn.completed") {
        const raw = (event.usage ?? {}) as Json;
        const cached = count(raw.cached_input_tokens) + (usage?.cachedInputTokens ?? 0);
        usage = {
          inputTokens: count(raw.input_tokens) + (usage?.inputTokens ?? 0),
          outputTokens: count(raw.output_tokens) + (usage?.outputTokens ?? 0),
          ...(cached > 0 ? { cachedInputTokens: cached } : {}),
        };
      }
      if (event.type !== "error") return undefined;
      const message = text(event.message) ?? "";
      const status = /unexpected status (401|403)\b/.exec(message)?.[1];
      if (status) return rejectedKey(status, message);
      if (/waiting for network/i.test(message)) {
        networkFailures += 1;
        if (networkFailures > options.maxRetries) {
          return `it could not reach its model provider (${networkFailures} failed attempts in a row: ${message}).`;
        }
      }
      return undefined;
    },
    report(stdout) {
      return {
        text: lastText ?? (failure ? "" : stdout),
        ...(failure ? { error: failure } : {}),
        ...(usage ? { usage } : {}),
      };
    },
  };
}

/** A reader for `format`: the agent's output is read with it while the agent runs and after it exits. */
export function createAgentOutputReader(
  format: AgentOutputFormat,
  options: AgentOutputReaderOptions,
): AgentOutputReader {
  switch (format) {
    case "claude-stream-json":
      return createStreamJsonReader("claude");
    case "qwen-stream-json":
      return createStreamJsonReader("qwen");
    case "codex-json":
      return createCodexReader(options);
    case "text":
      return { readLine: () => undefined, report: (stdout) => ({ text: stdout }) };
  }
}
