import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createCommandRunner } from "../src/runners/command-runner.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "autoresearch-memory-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const mebibyte = 1024 * 1024;

it("keeps the driver's memory bounded while an experiment prints 1 GB", async () => {
  // 1 GiB in lines of 1 KiB, written as fast as the pipe takes it, then the metric.
  const printer = [
    "const block = Buffer.from(('x'.repeat(1023) + '\\n').repeat(1024));",
    "let written = 0;",
    "function more() {",
    "  while (written < 1024) {",
    "    written++;",
    "    if (!process.stdout.write(block)) return process.stdout.once('drain', more);",
    "  }",
    "  process.stdout.write('val_bpb: 0.997900\\n');",
    "}",
    "more();",
  ].join("\n");
  const runner = createCommandRunner({ command: ["node", "-e", printer] });
  const logFile = join(directory, "run.log");

  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  let lines = 0;
  let lastLine = "";
  const started = performance.now();
  const result = await runner
    .run({
      directory,
      trial: 1,
      logFile,
      env: {},
      abortSignal: new AbortController().signal,
      onLine(line) {
        lines += 1;
        lastLine = line;
      },
    })
    .finally(() => clearInterval(sampler));
  peak = Math.max(peak, process.memoryUsage().rss);
  const seconds = (performance.now() - started) / 1000;
  const maxRss = process.resourceUsage().maxRSS * 1024;

  console.log(
    `1 GiB of output in ${seconds.toFixed(1)} s: RSS ${(before / mebibyte).toFixed(0)} MiB before, ` +
      `${(peak / mebibyte).toFixed(0)} MiB peak (sampled), maxRSS ${(maxRss / mebibyte).toFixed(0)} MiB`,
  );

  const total = 1024 * mebibyte + "val_bpb: 0.997900\n".length;
  expect(result.exitCode).toBe(0);
  expect(result.outputBytes).toBe(total);
  expect(result.droppedBytes).toBe(total - 64 * mebibyte);
  expect(lines).toBe(1024 * 1024 + 1);
  expect(lastLine).toBe("val_bpb: 0.997900");
  expect(peak).toBeLessThan(200 * 1000 * 1000);
  expect(maxRss).toBeLessThan(200 * 1000 * 1000);

  const { size } = await stat(logFile);
  expect(size).toBeLessThan(64 * mebibyte + 100);
  const handle = await open(logFile);
  try {
    const end = Buffer.alloc(64);
    await handle.read(end, 0, 64, size - 64);
    expect(end.toString().endsWith("\nval_bpb: 0.997900\n")).toBe(true);
  } finally {
    await handle.close();
  }
});
