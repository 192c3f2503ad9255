import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { createSlurmRunner } from "../src/index.js";
import { describeWithSlurm } from "./helpers/slurm.js";

// Slurm's limits have a granularity of one minute, and the controller checks them every 30 s or so: this test
// takes one to two minutes, in a file of its own so that it runs beside the others.
describeWithSlurm("a job over its Slurm time limit", () => {
  it("is stopped by the scheduler and recorded as a timeout with the limit it hit", async () => {
    const directory = mkdtempSync(join(tmpdir(), "autoresearch-slurm-time-limit-"));
    let jobId = "";
    const runner = createSlurmRunner({
      command: "echo started; sleep 600",
      sbatch: { time: 1 },
      pollIntervalMs: 500,
    });
    const result = await runner.run({
      directory,
      trial: 1,
      logFile: join(directory, "1.log"),
      env: { AUTORESEARCH_TAG: "limit" },
      abortSignal: new AbortController().signal,
      onStart: (info) => {
        jobId = info.jobId ?? "";
      },
    });
    expect(result.job?.state).toBe("TIMEOUT");
    expect(result.timedOut).toBe(true);
    expect(result.failure).toEqual({
      kind: "time-limit",
      reason: expect.stringMatching(
        /^Slurm job \d+ reached its Slurm time limit \(--time=1\) and was stopped on \S+$/,
      ),
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(60_000);
    expect(readFileSync(result.logFile, "utf8")).toMatch(/^started\n/);
    expect(execFileSync("squeue", ["--noheader", `--jobs=${jobId}`], { encoding: "utf8" }).trim()).toBe("");
  }, 240_000);
});
