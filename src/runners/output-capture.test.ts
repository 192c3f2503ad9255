import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createOutputCapture } from "./output-capture.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "autoresearch-capture-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("createOutputCapture", () => {
  it("writes everything when it fits, and reports the bytes", async () => {
    const logFile = join(directory, "a.log");
    const lines: string[] = [];
    const capture = createOutputCapture({
      logFile,
      maxLogBytes: 1024,
      sources: 1,
      onLine: (line) => lines.push(line),
    });
    capture.push(0, Buffer.from("hello\nwor"));
    capture.push(0, Buffer.from("ld\nno end"));
    const summary = await capture.close();
    expect(await readFile(logFile, "utf8")).toBe("hello\nworld\nno end");
    expect(lines).toEqual(["hello", "world", "no end"]);
    expect(summary).toEqual({ outputBytes: 18, droppedBytes: 0, outputTail: "hello\nworld\nno end" });
  });

  it("keeps the head and the tail and marks what was left out", async () => {
    const logFile = join(directory, "b.log");
    const capture = createOutputCapture({ logFile, maxLogBytes: 20, sources: 1 });
    let output = "";
    for (let index = 0; index < 100; index++) output += `line ${String(index).padStart(3, "0")}\n`;
    capture.push(0, Buffer.from(output));
    const summary = await capture.close();
    const log = await readFile(logFile, "utf8");
    const dropped = output.length - 20;
    expect(summary.outputBytes).toBe(output.length);
    expect(summary.droppedBytes).toBe(dropped);
    expect(log).toBe(
      `${output.slice(0, 10)}\n[autoresearch: ${dropped} bytes of output omitted]\n${output.slice(-10)}`,
    );
  });

  it("interleaves sources a whole line at a time", async () => {
    const logFile = join(directory, "c.log");
    const capture = createOutputCapture({ logFile, maxLogBytes: 1024, sources: 2 });
    capture.push(0, Buffer.from("val_"));
    capture.push(1, Buffer.from("warning: something\n"));
    capture.push(0, Buffer.from("bpb: 0.99\n"));
    await capture.close();
    expect(await readFile(logFile, "utf8")).toBe("warning: something\nval_bpb: 0.99\n");
  });

  it("bounds the output tail to the last lines and characters, notes included", async () => {
    const logFile = join(directory, "d.log");
    const capture = createOutputCapture({
      logFile,
      maxLogBytes: 1 << 20,
      sources: 1,
      tailLines: 3,
      tailChars: 40,
    });
    for (let index = 0; index < 100; index++) capture.push(0, Buffer.from(`${index}\n`));
    capture.note("[stopped]");
    const summary = await capture.close();
    expect(summary.outputTail).toBe("97\n98\n99\n[stopped]");
    expect((await readFile(logFile, "utf8")).endsWith("98\n99\n[stopped]\n")).toBe(true);

    const long = createOutputCapture({ logFile, maxLogBytes: 1 << 20, sources: 1, tailChars: 40 });
    long.push(0, Buffer.from(`${"a".repeat(100)}\nshort\n`));
    const longSummary = await long.close();
    expect(longSummary.outputTail).toBe("short");
  });
});

describe("secrets in the output", () => {
  it("are redacted before the log, the lines and the tail, also across chunks", async () => {
    const logFile = join(directory, "run.log");
    const lines: string[] = [];
    const capture = createOutputCapture({
      logFile,
      maxLogBytes: 1024 * 1024,
      sources: 2,
      secrets: ["hf_s3cr3t_t0k3n"],
      onLine: (line) => lines.push(line),
    });
    capture.push(0, Buffer.from("token: hf_s3cr"));
    capture.push(0, Buffer.from("3t_t0k3n\nplain line\n"));
    capture.push(1, Buffer.from("stderr hf_s3cr3t_t0k3n twice hf_s3cr3t_t0k3n\n"));
    capture.note("[autoresearch: the command held hf_s3cr3t_t0k3n]");
    const summary = await capture.close();
    const log = await readFile(logFile, "utf8");
    expect(log).toBe(
      "token: [redacted]\nplain line\nstderr [redacted] twice [redacted]\n[autoresearch: the command held [redacted]]\n",
    );
    expect(lines).toEqual(["token: [redacted]", "plain line", "stderr [redacted] twice [redacted]"]);
    expect(summary.outputTail).not.toContain("hf_s3cr3t_t0k3n");
  });
});
