import { describe, expect, it } from "vitest";
import { createRandom } from "../random.js";
import { createLineSplitter } from "./line-splitter.js";

function collect(maxLineBytes: number) {
  const lines: string[] = [];
  const raw: Buffer[] = [];
  const splitter = createLineSplitter({
    maxLineBytes,
    onLine(bytes, length) {
      lines.push(bytes.toString("utf8", 0, length));
      raw.push(Buffer.from(bytes));
    },
    onLineEnding(bytes) {
      raw.push(Buffer.from(bytes));
    },
  });
  return { splitter, lines, raw: () => Buffer.concat(raw) };
}

describe("createLineSplitter", () => {
  it("ends lines at \\n, \\r\\n and a lone \\r, and delivers a last line without an ending on flush", () => {
    const { splitter, lines, raw } = collect(1024);
    const input = Buffer.from("one\ntwo\r\nstep 1\rstep 2\rthree\n\nlast");
    splitter.push(input);
    expect(lines).toEqual(["one", "two", "step 1", "step 2", "three", ""]);
    splitter.flush();
    expect(lines.at(-1)).toBe("last");
    expect(raw().equals(input)).toBe(true);
  });

  it("gives the same lines and bytes however the input is cut into chunks", () => {
    const random = createRandom(7);
    const alphabet = ["a", "b", "é", "\n", "\r", "\r\n", "x"];
    for (let round = 0; round < 50; round++) {
      let text = "";
      for (let index = 0; index < 200; index++) text += alphabet[Math.floor(random() * alphabet.length)];
      const input = Buffer.from(text);
      const expected = text.split(/\r\n|\r|\n/);
      if (expected.at(-1) === "") expected.pop();

      const { splitter, lines, raw } = collect(1 << 20);
      let offset = 0;
      while (offset < input.length) {
        const size = 1 + Math.floor(random() * 9);
        splitter.push(input.subarray(offset, offset + size));
        offset += size;
      }
      splitter.flush();
      expect(lines).toEqual(expected);
      expect(raw().equals(input)).toBe(true);
    }
  });

  it("cuts an over-long line into pieces and adds no empty line when the ending follows a full piece", () => {
    const { splitter, lines, raw } = collect(4);
    const input = Buffer.from("abcdefgh\nabcdefghij\nok\n");
    for (const byte of input) splitter.push(Buffer.from([byte]));
    splitter.push(Buffer.from("tail-without-end"));
    splitter.flush();
    expect(lines).toEqual(["abcd", "efgh", "abcd", "efgh", "ij", "ok", "tail", "-wit", "hout", "-end"]);
    expect(raw().toString()).toBe(`${input.toString()}tail-without-end`);
  });

  it("cuts an over-long line that arrives in one chunk", () => {
    const { splitter, lines } = collect(3);
    splitter.push(Buffer.from("abcdefg\nhi\n"));
    expect(lines).toEqual(["abc", "def", "g", "hi"]);
  });

  it("decodes bytes that are not UTF-8 to U+FFFD rather than failing", () => {
    const { splitter, lines } = collect(64);
    splitter.push(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xff, 0xfe]));
    splitter.flush();
    expect(lines).toEqual(["caf\uFFFD", "\uFFFD\uFFFD"]);
  });
});
