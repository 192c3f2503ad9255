import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors/autoresearch-error.js";
import { createCommandRunner } from "../src/runners/command-runner.js";
import { isProcessGroupAlive } from "../src/runners/process-group.js";
import type { RunOptions } from "../src/spec/runner.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "autoresearch-runner-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function runOptions(overrides: Partial<RunOptions> = {}): RunOptions {
  return {
    directory,
    trial: 1,
    logFile: join(directory, "logs", "1.log"),
    env: {},
    abortSignal: new AbortController().signal,
    ...overrides,
  };
}

/** Live processes whose argv contains `marker` (zombies have an empty command line and do not count). */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = await readFile(`/proc/${entry}/cmdline`, "utf8");
      if (commandLine.includes(marker)) found.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** A shell command that says `spinning` once started, then runs forever, with `marker` in its argv. */
function spinner(marker: string): string {
  return `bash -c 'echo spinning; while :; do sleep 0.1; done' ${marker}`;
}

describe("createCommandRunner", () => {
  it("reports exit codes and signals", async () => {
    expect((await createCommandRunner({ command: "exit 3" }).run(runOptions())).exitCode).toBe(3);
    const ok = await createCommandRunner({ command: ["true"] }).run(runOptions());
    expect(ok).toMatchObject({ exitCode: 0, signal: null, timedOut: false, interrupted: false });
    const killed = await createCommandRunner({ command: "kill -KILL $$" }).run(runOptions());
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGKILL" });
  });

  it("passes the runner's environment, overridden by the run's, and runs in the directory", async () => {
    const runner = createCommandRunner({ command: 'echo "$A $B $(pwd)"', env: { A: "runner", B: "runner" } });
    const result = await runner.run(runOptions({ env: { B: "run" } }));
    expect(await readFile(result.logFile, "utf8")).toBe(`runner run ${directory}\n`);
  });

  it("writes the output to the log, byte for byte, and reports its size", async () => {
    const lines: string[] = [];
    const runner = createCommandRunner({ command: "printf 'a\\nb\\r\\nc'; printf 'warn\\n' >&2" });
    const result = await runner.run(runOptions({ onLine: (line) => lines.push(line) }));
    const log = await readFile(result.logFile, "utf8");
    expect(log.split("\n").sort()).toEqual(["a", "b\r", "c", "warn"]);
    expect(log.length).toBe(11);
    expect(result.outputBytes).toBe(11);
    expect(result.droppedBytes).toBe(0);
    expect(lines.sort()).toEqual(["a", "b", "c", "warn"]);
  });

  it("streams lines while the experiment still runs", async () => {
    const fifo = join(directory, "fifo");
    await execa("mkfifo", [fifo]);
    const lines: string[] = [];
    const runner = createCommandRunner({
      command: `echo ready; read word < ${fifo}; echo "got $word"`,
      timeoutMs: 30_000,
    });
    const result = await runner.run(
      runOptions({
        onLine(line) {
          lines.push(line);
          // The experiment waits for this answer: the run would time out if lines only came at the end.
          if (line === "ready") void writeFile(fifo, "go\n");
        },
      }),
    );
    expect(result.timedOut).toBe(false);
    expect(lines).toEqual(["ready", "got go"]);
  });

  it("decodes output that is not UTF-8 and delivers a last line without a newline", async () => {
    const lines: string[] = [];
    const runner = createCommandRunner({ command: "printf 'caf\\xe9\\nval_bpb: 0.99'" });
    const result = await runner.run(runOptions({ onLine: (line) => lines.push(line) }));
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(["caf\uFFFD", "val_bpb: 0.99"]);
    expect(await readFile(result.logFile)).toEqual(
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, ...Buffer.from("val_bpb: 0.99")]),
    );
    expect(result.outputTail).toBe("caf\uFFFD\nval_bpb: 0.99");
  });

  it("kills the whole tree after the timeout, grandchildren that ignore SIGTERM and escape the group included", async () => {
    const marker = `autoresearch-test-${randomUUID()}`;
    const runner = createCommandRunner({
      command: `trap '' TERM; ${spinner(marker)} & ${spinner(marker)} & setsid ${spinner(marker)} & echo started; wait`,
      timeoutMs: 1000,
      killGraceMs: 300,
    });
    let pid = 0;
    const lines: string[] = [];
    const result = await runner.run(
      runOptions({
        onStart: (info) => {
          pid = info.pid ?? -1;
        },
        onLine: (line) => lines.push(line),
      }),
    );
    // The checks below mean something only if the grandchildren were running.
    expect(lines.filter((line) => line === "spinning")).toHaveLength(3);
    expect(result).toMatchObject({ timedOut: true, interrupted: false, exitCode: null, signal: "SIGKILL" });
    expect(await processesWith(marker)).toEqual([]);
    expect(pid).toBeGreaterThan(1);
    await expect.poll(() => isProcessGroupAlive(pid)).toBe(false);
    expect(result.outputTail).toContain("timed out after 1000 ms");
  });

  it("kills what the experiment left running in the background when it exits", async () => {
    const marker = `autoresearch-test-${randomUUID()}`;
    const fifo = join(directory, "fifo");
    await execa("mkfifo", [fifo]);
    // The main process exits once the test has seen the background process running.
    const runner = createCommandRunner({ command: `${spinner(marker)} & read word < ${fifo}` });
    let during: number[] = [];
    const result = await runner.run(
      runOptions({
        onLine: (line) => {
          if (line !== "spinning") return;
          void processesWith(marker).then(async (found) => {
            during = found;
            await writeFile(fifo, "go\n");
          });
        },
      }),
    );
    expect(result.exitCode).toBe(0);
    expect(during.length).toBeGreaterThan(0);
    expect(await processesWith(marker)).toEqual([]);
  });

  it("stops the experiment on abort and marks it interrupted", async () => {
    const marker = `autoresearch-test-${randomUUID()}`;
    const controller = new AbortController();
    const runner = createCommandRunner({ command: `${spinner(marker)} & echo started; wait` });
    const result = await runner.run(
      runOptions({
        abortSignal: controller.signal,
        onLine: (line) => {
          if (line === "spinning") controller.abort();
        },
      }),
    );
    expect(result).toMatchObject({ interrupted: true, timedOut: false, exitCode: null, signal: "SIGTERM" });
    expect(await processesWith(marker)).toEqual([]);
  });

  it("does not start when the research was already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const marker = join(directory, "ran");
    const result = await createCommandRunner({ command: `touch ${marker}` }).run(
      runOptions({ abortSignal: controller.signal }),
    );
    expect(result.interrupted).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it("calls onStart once with the experiment's process group", async () => {
    const starts: number[] = [];
    let aliveAtStart = false;
    await createCommandRunner({ command: "sleep 0.2" }).run(
      runOptions({
        onStart: ({ pid = -1 }) => {
          starts.push(pid);
          aliveAtStart = isProcessGroupAlive(pid);
        },
      }),
    );
    expect(starts).toHaveLength(1);
    expect(aliveAtStart).toBe(true);
  });

  it("turns a command that cannot start into a failed result with the reason in the log", async () => {
    const result = await createCommandRunner({ command: ["autoresearch-no-such-program", "x"] }).run(
      runOptions(),
    );
    expect(result.exitCode).toBe(127);
    expect(await readFile(result.logFile, "utf8")).toContain("ENOENT");
    expect(result.outputTail).toContain("autoresearch-no-such-program");

    const shell = await createCommandRunner({ command: "autoresearch-no-such-program" }).run(runOptions());
    expect(shell.exitCode).toBe(127);
    expect(await readFile(shell.logFile, "utf8")).toContain("not found");
  });

  it("keeps the head and the tail of a large output, the last metric included", async () => {
    // 200,000 lines of 100 bytes (20 MB), then the metric.
    const printer = [
      "let i = 0;",
      "function more() {",
      "  while (i < 200) {",
      "    let block = '';",
      "    for (let j = 0; j < 1000; j++) block += 'line ' + String(i * 1000 + j).padStart(8, '0') + ' ' + 'x'.repeat(85) + '\\n';",
      "    i++;",
      "    if (!process.stdout.write(block)) return process.stdout.once('drain', more);",
      "  }",
      "  process.stdout.write('val_bpb: 0.997900\\n');",
      "}",
      "more();",
    ].join("\n");
    const maxLogBytes = 1024 * 1024;
    const lines: string[] = [];
    const runner = createCommandRunner({ command: ["node", "-e", printer], maxLogBytes });
    const result = await runner.run(runOptions({ onLine: (line) => lines.push(line) }));
    expect(result.exitCode).toBe(0);
    const total = 200_000 * 100 + "val_bpb: 0.997900\n".length;
    expect(result.outputBytes).toBe(total);
    expect(result.droppedBytes).toBe(total - maxLogBytes);
    expect(lines).toHaveLength(200_001);

    const log = await readFile(result.logFile, "utf8");
    const marker = `[autoresearch: ${total - maxLogBytes} bytes of output omitted]`;
    expect(log.length).toBeLessThanOrEqual(maxLogBytes + marker.length + 2);
    expect(log.startsWith(`line 00000000 ${"x".repeat(85)}\nline 00000001`)).toBe(true);
    expect(log).toContain(`\n${marker}\n`);
    expect(log.endsWith("line 00199999 " + "x".repeat(85) + "\nval_bpb: 0.997900\n")).toBe(true);
    expect(result.outputTail.endsWith("val_bpb: 0.997900")).toBe(true);
    expect(result.outputTail.length).toBeLessThanOrEqual(8192);
  });

  it("rethrows an error from onLine after stopping the experiment", async () => {
    const marker = `autoresearch-test-${randomUUID()}`;
    const runner = createCommandRunner({ command: `${spinner(marker)} & echo started; wait` });
    const failure = new Error("progress handler failed");
    await expect(
      runner.run(
        runOptions({
          onLine: (line) => {
            if (line === "spinning") throw failure;
          },
        }),
      ),
    ).rejects.toBe(failure);
    expect(await processesWith(marker)).toEqual([]);
  });

  it("rejects options that do not have the expected shape, naming the field", () => {
    expect(() => createCommandRunner({ command: "true", timeoutMs: 0 })).toThrow(ConfigurationError);
    expect(() => createCommandRunner({ command: "true", timeoutMs: 0 })).toThrow(/`timeoutMs`/);
    expect(() => createCommandRunner({ command: "  " })).toThrow(/`command`/);
    expect(() => createCommandRunner({ command: [] })).toThrow(/`command`/);
    expect(() => createCommandRunner({ command: "true", maxLogBytes: 1.5 })).toThrow(/`maxLogBytes`/);
  });
});

describe("the exit handler", () => {
  it("kills the experiment's group when the driver exits in the middle of a run", async () => {
    const marker = `autoresearch-test-${randomUUID()}`;
    const script = join(directory, "driver.mts");
    const runnerModule = new URL("../src/runners/command-runner.ts", import.meta.url).href;
    await writeFile(
      script,
      [
        `import { createCommandRunner } from ${JSON.stringify(runnerModule)};`,
        `const runner = createCommandRunner({ command: ${JSON.stringify(`${spinner(marker)} & echo started; wait`)} });`,
        "await runner.run({",
        `  directory: ${JSON.stringify(directory)}, trial: 1, logFile: ${JSON.stringify(join(directory, "driver.log"))},`,
        "  env: {}, abortSignal: new AbortController().signal,",
        "  onLine: (line) => { if (line === 'spinning') { console.log('exiting'); process.exit(0); } },",
        "});",
      ].join("\n"),
    );
    const driver = await execa("node", ["--import", "tsx", script], { cwd: process.cwd(), reject: false });
    expect(driver.stdout).toBe("exiting");
    await expect.poll(() => processesWith(marker), { timeout: 5000 }).toEqual([]);
  });
});
