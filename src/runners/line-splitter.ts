export interface LineSplitterOptions {
  /** Longer lines are delivered in pieces of at most this many bytes, so memory stays bounded. */
  maxLineBytes: number;
  /**
   * One line: `raw` is its bytes as they came, line ending included; the line itself is `raw.subarray(0, length)`.
   * `raw` is only valid during the call.
   */
  onLine: (raw: Buffer, length: number) => void;
  /** Line-ending bytes whose line was already delivered (a piece of an over-long line, a `\r` then `\n`). */
  onLineEnding: (raw: Buffer) => void;
}

export interface LineSplitter {
  push(chunk: Uint8Array): void;
  /** Delivers a last line that had no line ending. */
  flush(): void;
}

const lineFeed = 0x0a;
const carriageReturn = 0x0d;

/**
 * Splits a byte stream into lines without decoding it. `\n`, `\r\n` and a lone `\r` all end a line: training
 * scripts redraw their progress with `\r`, and each redraw is worth seeing live.
 */
export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { maxLineBytes, onLine, onLineEnding } = options;
  // Room for a line ending after a full piece.
  let pending: Buffer | undefined;
  let pendingLength = 0;
  // True once a piece of an over-long line was delivered: its line ending then adds no line of its own.
  let continuing = false;
  // A `\r` ended the last chunk: a `\n` starting the next one belongs to the same line ending.
  let afterCarriageReturn = false;

  function appendContent(bytes: Buffer): void {
    let offset = 0;
    while (offset < bytes.length) {
      pending ??= Buffer.allocUnsafe(maxLineBytes + 2);
      const count = Math.min(bytes.length - offset, maxLineBytes - pendingLength);
      bytes.copy(pending, pendingLength, offset, offset + count);
      pendingLength += count;
      offset += count;
      if (pendingLength === maxLineBytes) {
        onLine(pending.subarray(0, pendingLength), pendingLength);
        pendingLength = 0;
        continuing = true;
      }
    }
  }

  function endLine(segment: Buffer, length: number): void {
    if (pendingLength === 0 && !continuing && length <= maxLineBytes) {
      onLine(segment, length);
      return;
    }
    appendContent(segment.subarray(0, length));
    const ending = segment.subarray(length);
    if (pendingLength > 0 && pending !== undefined) {
      ending.copy(pending, pendingLength);
      onLine(pending.subarray(0, pendingLength + ending.length), pendingLength);
    } else if (ending.length > 0) {
      onLineEnding(ending);
    }
    pendingLength = 0;
    continuing = false;
  }

  return {
    push(chunk) {
      const bytes = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      let start = 0;
      if (afterCarriageReturn && bytes.length > 0) {
        afterCarriageReturn = false;
        if (bytes[0] === lineFeed) {
          onLineEnding(bytes.subarray(0, 1));
          start = 1;
        }
      }
      let nextLineFeed = bytes.indexOf(lineFeed, start);
      let nextCarriageReturn = bytes.indexOf(carriageReturn, start);
      while (nextLineFeed !== -1 || nextCarriageReturn !== -1) {
        const isCarriageReturn =
          nextCarriageReturn !== -1 && (nextLineFeed === -1 || nextCarriageReturn < nextLineFeed);
        const end = isCarriageReturn ? nextCarriageReturn : nextLineFeed;
        let stop = end + 1;
        if (isCarriageReturn) {
          if (stop === bytes.length) afterCarriageReturn = true;
          else if (bytes[stop] === lineFeed) stop += 1;
        }
        endLine(bytes.subarray(start, stop), end - start);
        start = stop;
        if (nextCarriageReturn !== -1 && nextCarriageReturn < start) {
          nextCarriageReturn = bytes.indexOf(carriageReturn, start);
        }
        if (nextLineFeed !== -1 && nextLineFeed < start) nextLineFeed = bytes.indexOf(lineFeed, start);
      }
      if (start < bytes.length) appendContent(bytes.subarray(start));
    },
    flush() {
      if (pendingLength > 0 && pending !== undefined)
        onLine(pending.subarray(0, pendingLength), pendingLength);
      pendingLength = 0;
      continuing = false;
      afterCarriageReturn = false;
    },
  };
}
