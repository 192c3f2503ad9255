import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createLineSplitter } from "../runners/line-splitter.js";
import { parseJsonAllowingNonFinite } from "./lenient-json.js";

/** Metrics read from a source: the finite ones, and the names whose last value was not a finite number. */
export interface ReadMetrics {
  metrics: Record<string, number>;
  /** Names whose last value was NaN or infinite, with that value as printed. */
  nonFinite: Record<string, string>;
}

// `name: value` on a line of its own, as in autoresearch's summary block (`val_bpb:          0.997900`).
const summaryLine =
  /^\s*([A-Za-z_][\w.\-/]*)\s*:\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf|infinity))\s*$/i;
const ansiEscape = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** Reads `value` the way Python prints it: `nan`, `inf`, `-inf` included. */
export function parseNumber(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === "nan" || trimmed === "+nan" || trimmed === "-nan") return Number.NaN;
  if (/^[-+]?inf(inity)?$/.test(trimmed)) return trimmed.startsWith("-") ? -Infinity : Infinity;
  if (trimmed === "") return Number.NaN;
  return Number(trimmed);
}

function record(into: ReadMetrics, name: string, text: string): void {
  const value = parseNumber(text);
  // The last value printed wins: a final summary overrides anything printed during training.
  if (Number.isFinite(value)) {
    into.metrics[name] = value;
    delete into.nonFinite[name];
  } else {
    into.nonFinite[name] = text.trim();
    delete into.metrics[name];
  }
}

export interface ReadLogOptions {
  /** A pattern whose first capture group, or group named `value`, is the value of `name`. */
  pattern?: { name: string; regex: RegExp };
  abortSignal?: AbortSignal;
}

/**
 * Streams a log and collects every `name: value` line, and what `pattern` matches. The line splitting is the
 * runner's own (`\n`, `\r\n` and `\r` end a line; over-long lines are cut), so memory stays bounded however
 * large the log. When a metric is printed several times, the last one wins.
 */
export async function readLogMetrics(
  logFile: string,
  options: ReadLogOptions = {},
): Promise<ReadMetrics & { patternMatched: boolean }> {
  const found: ReadMetrics = { metrics: {}, nonFinite: {} };
  const { pattern, abortSignal } = options;
  let patternMatched = false;
  let patternValue: string | undefined;
  const splitter = createLineSplitter({
    maxLineBytes: 64 * 1024,
    onLine(raw, length) {
      let line = raw.toString("utf8", 0, length);
      if (line.includes("\x1b")) line = line.replace(ansiEscape, "");
      const summary = summaryLine.exec(line);
      if (summary?.[1] !== undefined && summary[2] !== undefined) record(found, summary[1], summary[2]);
      if (pattern !== undefined) {
        const match = pattern.regex.exec(line);
        const value = match?.groups?.value ?? match?.[1];
        if (value !== undefined) {
          patternMatched = true;
          patternValue = value;
        }
      }
    },
    onLineEnding() {},
  });
  const stream = createReadStream(logFile, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream) {
      abortSignal?.throwIfAborted();
      splitter.push(chunk as Buffer);
    }
  } finally {
    stream.destroy();
  }
  splitter.flush();
  if (pattern !== undefined) {
    // The pattern alone decides the optimized metric, even when a summary line of that name exists.
    delete found.metrics[pattern.name];
    delete found.nonFinite[pattern.name];
    if (patternValue !== undefined) record(found, pattern.name, patternValue);
  }
  return { ...found, patternMatched };
}

/**
 * Reads a JSON file of metrics: numbers at any depth, nested names joined with dots (`{"eval": {"acc": 0.9}}`
 * gives `eval.acc`). Anything that is not a number is ignored.
 */
export async function readJsonMetrics(file: string): Promise<ReadMetrics> {
  const data = parseJsonAllowingNonFinite(await readFile(file, "utf8"));
  const found: ReadMetrics = { metrics: {}, nonFinite: {} };
  function visit(value: unknown, name: string): void {
    if (typeof value === "number") {
      record(found, name, String(value));
    } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) visit(inner, name === "" ? key : `${name}.${key}`);
    }
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new Error(
      `expected a JSON object of metrics, got ${Array.isArray(data) ? "an array" : typeof data}`,
    );
  }
  visit(data, "");
  return found;
}
