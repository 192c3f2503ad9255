import { Worker } from "node:worker_threads";

/** A file to search: its name as the model sees it and its absolute path. */
export interface SearchFile {
  name: string;
  path: string;
}

export type RegexSearchResult =
  | { type: "matches"; matches: string[]; more: boolean }
  | { type: "timeout" }
  | { type: "invalid"; message: string };

// Runs in a worker thread: a pattern that backtracks for minutes blocks this thread only, and is ended with it.
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync, statSync } = require("node:fs");
const { source, files, maxMatches, maxFileBytes } = workerData;
let pattern;
try {
  pattern = new RegExp(source);
} catch (error) {
  pattern = undefined;
  parentPort.postMessage({ type: "invalid", message: error.message });
}
const matches = [];
let more = false;
outer: for (const file of pattern === undefined ? [] : files) {
  let buffer;
  try {
    if (statSync(file.path).size > maxFileBytes) continue;
    buffer = readFileSync(file.path);
  } catch {
    continue;
  }
  if (buffer.subarray(0, 8000).includes(0)) continue;
  const lines = buffer.toString("utf8").split("\\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (!pattern.test(line)) continue;
    if (matches.length >= maxMatches) {
      more = true;
      break outer;
    }
    matches.push(file.name + ":" + (index + 1) + ": " + (line.length > 200 ? line.slice(0, 200) + "…" : line));
  }
}
if (pattern !== undefined) parentPort.postMessage({ type: "matches", matches, more });
`;

/**
 * Searches `files` for a JavaScript regular expression in a worker thread that is terminated after `timeoutMs` or
 * on abort, so that a catastrophic pattern (`(a+)+$` on a long line) can neither block the event loop nor outlive
 * the proposal. Rejects with the abort reason when `abortSignal` fires.
 */
export function searchWithRegex(options: {
  source: string;
  files: readonly SearchFile[];
  maxMatches: number;
  maxFileBytes: number;
  timeoutMs: number;
  abortSignal?: AbortSignal | undefined;
}): Promise<RegexSearchResult> {
  const { abortSignal } = options;
  abortSignal?.throwIfAborted();
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      source: options.source,
      files: options.files,
      maxMatches: options.maxMatches,
      maxFileBytes: options.maxFileBytes,
    },
  });
  return new Promise<RegexSearchResult>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      abortSignal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      settle();
    };
    const timer = setTimeout(() => finish(() => resolve({ type: "timeout" })), options.timeoutMs);
    const onAbort = () => finish(() => reject(abortSignal?.reason));
    abortSignal?.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (message: RegexSearchResult) => finish(() => resolve(message)));
    worker.once("error", (error) => finish(() => reject(error)));
    worker.once("exit", () => finish(() => resolve({ type: "matches", matches: [], more: false })));
  });
}
