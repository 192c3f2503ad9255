import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { redactValues } from "../secrets/secret-values.js";
import { createLineSplitter, type LineSplitter } from "./line-splitter.js";

export interface OutputCaptureOptions {
  logFile: string;
  /** The log keeps the first half and the last half of this many bytes of output. */
  maxLogBytes: number;
  onLine?: (line: string) => void;
  /** How many output sources (stdout, stderr) are interleaved; each is split into lines on its own. */
  sources: number;
  /** The output tail keeps at most this many lines and this many characters. */
  tailLines?: number;
  tailChars?: number;
  maxLineBytes?: number;
  /** Values replaced by `[redacted]` in every line before it reaches the log, `onLine` or the tail. */
  secrets?: readonly string[];
}

export interface OutputSummary {
  outputBytes: number;
  droppedBytes: number;
  outputTail: string;
}

export interface OutputCapture {
  /** Takes a chunk of one source's output. Returns false when the caller should wait for `drained()`. */
  push(source: number, chunk: Uint8Array): boolean;
  drained(): Promise<void>;
  /** A line from the runner itself (e.g. why the experiment stopped); written after the output. */
  note(text: string): void;
  /** Flushes the last lines, writes the kept tail, and closes the log. */
  close(): Promise<OutputSummary>;
}

const lineFeed = 0x0a;

/** The last `capacity` bytes written to it, in a buffer allocated on first use. */
function createByteRing(capacity: number) {
  let ring: Buffer | undefined;
  let length = 0;
  let end = 0;
  return {
    get length() {
      return length;
    },
    push(bytes: Buffer): void {
      if (capacity === 0 || bytes.length === 0) return;
      ring ??= Buffer.allocUnsafe(capacity);
      if (bytes.length >= capacity) {
        bytes.copy(ring, 0, bytes.length - capacity);
        end = 0;
        length = capacity;
        return;
      }
      const first = Math.min(bytes.length, capacity - end);
      bytes.copy(ring, end, 0, first);
      bytes.copy(ring, 0, first);
      end = (end + bytes.length) % capacity;
      length = Math.min(capacity, length + bytes.length);
    },
    /** The kept bytes in order, as one or two views. */
    contents(): Buffer[] {
      if (ring === undefined || length === 0) return [];
      if (length < capacity) return [ring.subarray(0, length)];
      return [ring.subarray(end), ring.subarray(0, end)];
    },
    release(): void {
      ring = undefined;
    },
  };
}

/**
 * Writes output to a log file with bounded memory, whatever its volume: the first half of `maxLogBytes` goes
 * straight to the file, the last half is held in a ring buffer and written at the end, and one marker line
 * says how much was left out in between. Each source's output reaches the log a whole line at a time, so that
 * stderr never lands in the middle of a stdout line (a metric, say).
 */
export function createOutputCapture(options: OutputCaptureOptions): OutputCapture {
  const { logFile, maxLogBytes, onLine } = options;
  const tailLines = options.tailLines ?? 50;
  const tailChars = options.tailChars ?? 8192;
  const maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  const headLimit = Math.floor(maxLogBytes / 2);

  const log = createWriteStream(logFile, { highWaterMark: 1024 * 1024 });
  let logError: unknown;
  log.on("error", (error) => {
    logError ??= error;
  });
  function write(data: string | Buffer): void {
    if (logError === undefined) log.write(data);
  }

  let totalBytes = 0;
  let headBytes = 0;
  let loggedBytes = 0;
  let lastByte: number | undefined;
  let headEndsWithNewline = true;
  const logTail = createByteRing(maxLogBytes - headLimit);
  // Enough bytes for the output tail: its lines are split out at the end rather than kept one by one.
  const outputTail = createByteRing(tailChars * 2);
  const notes: string[] = [];

  // Head bytes are gathered per chunk and written together: one write per chunk, not one per line.
  const staging = Buffer.allocUnsafe(Math.max(256 * 1024, maxLineBytes + 2));
  let stagedLength = 0;
  function flushStaging(): void {
    if (stagedLength === 0) return;
    write(Buffer.from(staging.subarray(0, stagedLength)));
    stagedLength = 0;
  }

  function toLog(raw: Buffer): void {
    if (raw.length === 0) return;
    loggedBytes += raw.length;
    lastByte = raw[raw.length - 1];
    outputTail.push(raw);
    let offset = 0;
    if (headBytes < headLimit) {
      offset = Math.min(headLimit - headBytes, raw.length);
      if (stagedLength + offset > staging.length) flushStaging();
      raw.copy(staging, stagedLength, 0, offset);
      stagedLength += offset;
      headBytes += offset;
      if (offset > 0) headEndsWithNewline = raw[offset - 1] === lineFeed;
    }
    if (offset < raw.length) logTail.push(raw.subarray(offset));
  }

  const secrets = options.secrets ?? [];
  let redactionDelta = 0;
  const needles = secrets.map((secret) => Buffer.from(secret));
  // Bytes are searched first: most lines hold no secret and are never decoded for it.
  function redactLine(raw: Buffer, length: number): { raw: Buffer; length: number } {
    if (!needles.some((needle) => raw.includes(needle))) return { raw, length };
    const content = Buffer.from(redactValues(raw.toString("utf8", 0, length), secrets));
    // The log is shorter (or longer) than the output by this much, which is not output left out.
    redactionDelta += length - content.length;
    return { raw: Buffer.concat([content, raw.subarray(length)]), length: content.length };
  }

  const splitters: LineSplitter[] = [];
  for (let index = 0; index < options.sources; index++) {
    splitters.push(
      createLineSplitter({
        maxLineBytes,
        onLine(rawLine, rawLength) {
          const { raw, length } =
            needles.length === 0 ? { raw: rawLine, length: rawLength } : redactLine(rawLine, rawLength);
          toLog(raw);
          onLine?.(raw.toString("utf8", 0, length));
        },
        onLineEnding: toLog,
      }),
    );
  }

  function splitTail(): string {
    const text = Buffer.concat(outputTail.contents()).toString("utf8");
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.at(-1) === "") lines.pop();
    // The first line may have been cut by the ring.
    if (loggedBytes > tailChars * 2) lines.shift();
    let joined = [...lines.slice(-tailLines), ...notes].join("\n");
    if (joined.length > tailChars) {
      joined = joined.slice(-tailChars);
      const firstBreak = joined.indexOf("\n");
      if (firstBreak !== -1) joined = joined.slice(firstBreak + 1);
    }
    return joined;
  }

  return {
    push(source, chunk) {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      totalBytes += bytes.length;
      splitters[source]?.push(bytes);
      flushStaging();
      return !log.writableNeedDrain || logError !== undefined;
    },
    async drained() {
      if (!log.writableNeedDrain || logError !== undefined) return;
      // A write error ends the wait as well; close() reports it.
      await once(log, "drain").catch(() => {});
    },
    note(text) {
      notes.push(redactValues(text, secrets));
    },
    async close() {
      for (const splitter of splitters) splitter.flush();
      flushStaging();
      const droppedBytes = totalBytes - redactionDelta - headBytes - logTail.length;
      if (droppedBytes > 0) {
        write(`${headEndsWithNewline ? "" : "\n"}[autoresearch: ${droppedBytes} bytes of output omitted]\n`);
      }
      // Not copied: nothing writes to the ring any more, and it is released once the log is closed.
      for (const part of logTail.contents()) write(part);
      if (notes.length > 0) {
        const separator = lastByte === undefined || lastByte === lineFeed ? "" : "\n";
        write(`${separator}${notes.join("\n")}\n`);
      }
      log.end();
      if (!log.closed && logError === undefined) {
        await Promise.race([once(log, "close"), once(log, "error")]).catch(() => {});
      }
      logTail.release();
      if (logError !== undefined) throw logError;
      return { outputBytes: totalBytes, droppedBytes, outputTail: splitTail() };
    },
  };
}
