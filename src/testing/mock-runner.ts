import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { RunResult } from "../spec/records.js";
import type { Runner, RunOptions } from "../spec/runner.js";
import { nextScripted, type Scripted } from "./values.js";

/** What a mock run does: print `output` (written to the log, streamed line by line) and exit with `exitCode`. */
export interface MockRun {
  output: string;
  exitCode?: number;
  timedOut?: boolean;
  durationMs?: number;
}

/**
 * A runner that runs nothing: each call writes the scripted output to the log and reports the scripted exit.
 * `calls` records every call's options.
 */
export class MockRunner implements Runner {
  readonly name: string;
  /** It starts no process of the proposal, so there is nothing to confine: no research warns about it. */
  readonly appliesSandbox = true;
  readonly calls: RunOptions[] = [];
  private readonly script: Scripted<MockRun | string, RunOptions>;

  constructor(options: { run: Scripted<MockRun | string, RunOptions>; name?: string }) {
    this.script = options.run;
    this.name = options.name ?? "mock-runner";
  }

  async run(options: RunOptions): Promise<RunResult> {
    const call = this.calls.length;
    this.calls.push(options);
    const scripted = await nextScripted(this.script, options, call);
    const run: MockRun = typeof scripted === "string" ? { output: scripted } : scripted;
    await mkdir(dirname(options.logFile), { recursive: true });
    await writeFile(options.logFile, run.output);
    const lines = run.output.split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const line of lines) options.onLine?.(line);
    const interrupted = options.abortSignal.aborted;
    return {
      exitCode: interrupted ? null : (run.exitCode ?? 0),
      signal: interrupted ? "SIGTERM" : null,
      durationMs: run.durationMs ?? 0,
      timedOut: run.timedOut ?? false,
      interrupted,
      logFile: options.logFile,
      outputTail: lines.slice(-50).join("\n"),
    };
  }
}
