import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { createSlurmRunner, type SlurmRunnerOptions } from "../src/index.js";
import type { RunOptions } from "../src/spec/runner.js";
import { describeWithSlurm } from "./helpers/slurm.js";

function slurm(command: string, ...args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8" }).trim();
}

/** The job as squeue lists it by default (pending, running, completing): empty once it is gone. */
function inQueue(jobId: string): string {
  return slurm("squeue", "--noheader", `--jobs=${jobId}`, "--format=%T");
}

function setup(options: Partial<SlurmRunnerOptions> & Pick<SlurmRunnerOptions, "command">) {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-slurm-runner-"));
  const runner = createSlurmRunner({ pollIntervalMs: 200, killGraceMs: 1000, ...options });
  const jobs: string[] = [];
  const lines: string[] = [];
  const run = (overrides: Partial<RunOptions> = {}) =>
    runner.run({
      directory,
      trial: 1,
      logFile: join(directory, "logs", "1.log"),
      env: { AUTORESEARCH_TAG: "runner-test", AUTORESEARCH_SAMPLE: "0" },
      abortSignal: new AbortController().signal,
      onStart: ({ jobId }) => {
        if (jobId !== undefined) jobs.push(jobId);
      },
      onLine: (line) => lines.push(line),
      ...overrides,
    });
  return { directory, runner, jobs, lines, run };
}

describeWithSlurm("the Slurm runner against a real Slurm", () => {
  it("runs the command as a job in the directory, with the run's environment, and logs its output", async () => {
    const { directory, jobs, lines, run } = setup({
      command:
        'echo "in $PWD as $SLURM_JOB_NAME, trial $AUTORESEARCH_TRIAL"; echo warn >&2; echo "score: 4.5"',
      env: { AUTORESEARCH_TRIAL: "1" },
    });
    const result = await run();
    expect(result).toMatchObject({ exitCode: 0, signal: null, timedOut: false, interrupted: false });
    expect(result.failure).toBeUndefined();
    expect(result.job).toEqual({ id: jobs[0], state: "COMPLETED", nodes: expect.any(String) });
    expect(lines).toEqual([`in ${directory} as autoresearch-runner-test-1-0, trial 1`, "warn", "score: 4.5"]);
    const log = readFileSync(result.logFile, "utf8");
    expect(log.startsWith(`${lines.join("\n")}\n`)).toBe(true);
    expect(log).toContain(`[autoresearch: Slurm job ${jobs[0]} ended COMPLETED`);
    expect(result.queuedMs).toBeGreaterThanOrEqual(0);
    // The job's raw output file has been folded into the log.
    expect(existsSync(join(directory, "logs", "1.slurm-output"))).toBe(false);
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("streams the output while the job runs: a line reaches onLine before the job ends", async () => {
    const release = join(mkdtempSync(join(tmpdir(), "autoresearch-slurm-release-")), "release");
    // The job waits for a file that the test writes only once the first line arrived: without streaming, it
    // would never end.
    const { jobs, run } = setup({
      command: `echo first; while [ ! -e '${release}' ]; do sleep 0.1; done; echo second`,
    });
    let stateAtFirstLine = "";
    const result = await run({
      onStart: ({ jobId }) => {
        if (jobId !== undefined) jobs.push(jobId);
      },
      onLine: (line) => {
        if (line !== "first") return;
        stateAtFirstLine = inQueue(jobs[0] as string);
        writeFileSync(release, "");
      },
    });
    expect(stateAtFirstLine).toBe("RUNNING");
    expect(result.exitCode).toBe(0);
    expect(readFileSync(result.logFile, "utf8")).toMatch(/^first\nsecond\n/);
  });

  it("records a job that exits 3 with its code and the scheduler's verdict", async () => {
    const { jobs, run } = setup({ command: "echo failing; exit 3" });
    const result = await run();
    expect(result.exitCode).toBe(3);
    expect(result.job?.state).toBe("FAILED");
    expect(result.failure).toEqual({
      kind: "failed",
      reason: expect.stringMatching(
        new RegExp(`^exited with code 3 \\(Slurm job ${jobs[0]} FAILED on \\S+\\)$`),
      ),
    });
    expect(result.outputTail).toContain("failing");
  });

  it("cancels a run that exceeds its timeout: SIGTERM first, and the job is gone from the queue", async () => {
    const { jobs, run } = setup({
      command: "trap 'echo got SIGTERM; exit 143' TERM; echo started; while :; do sleep 0.1; done",
      timeoutMs: 1500,
    });
    const result = await run();
    expect(result.timedOut).toBe(true);
    expect(result.interrupted).toBe(false);
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    const log = readFileSync(result.logFile, "utf8");
    expect(log).toContain("got SIGTERM");
    expect(log).toContain(`[autoresearch: timed out after 1500 ms; cancelling Slurm job ${jobs[0]}]`);
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("cancels a run that ignores SIGTERM once its grace is over", async () => {
    const { jobs, run } = setup({
      command: "trap 'echo ignoring SIGTERM' TERM; echo started; while :; do sleep 0.1; done",
      timeoutMs: 1000,
      killGraceMs: 500,
    });
    const result = await run();
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).not.toBeNull();
    expect(readFileSync(result.logFile, "utf8")).toContain("ignoring SIGTERM");
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("records a job cancelled from outside the research with a reason saying so", async () => {
    const { jobs, run } = setup({ command: "echo started; sleep 600" });
    const result = await run({
      onStart: ({ jobId }) => {
        if (jobId !== undefined) jobs.push(jobId);
      },
      onLine: (line) => {
        if (line === "started") slurm("scancel", jobs[0] as string);
      },
    });
    expect(result.job?.state).toBe("CANCELLED");
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
    expect(result.interrupted).toBe(false);
    expect(result.failure?.kind).toBe("cancelled");
    expect(result.failure?.reason).toMatch(/was cancelled outside the research/);
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("cancels the job when the research is aborted", async () => {
    const controller = new AbortController();
    const { jobs, run } = setup({ command: "echo started; sleep 600" });
    const result = await run({
      abortSignal: controller.signal,
      onLine: (line) => {
        if (line === "started") controller.abort();
      },
    });
    expect(result.interrupted).toBe(true);
    expect(readFileSync(result.logFile, "utf8")).toContain("the research was aborted; cancelling Slurm job");
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("keeps the time in the queue apart from the run time, and counts the timeout from the start", async () => {
    // Held jobs wait in the queue until released: longer than the run's own timeout.
    const { jobs, run } = setup({ command: "echo ran", timeoutMs: 2000, sbatch: { extra: ["--hold"] } });
    const submitted = performance.now();
    let heldMs = 0;
    const running = run();
    while (jobs.length === 0 || inQueue(jobs[0] as string) !== "PENDING") await sleep(100);
    await sleep(2500);
    heldMs = performance.now() - submitted;
    slurm("scontrol", "release", jobs[0] as string);
    const result = await running;
    const totalMs = performance.now() - submitted;
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(result.queuedMs).toBeGreaterThanOrEqual(heldMs - 1);
    expect(result.durationMs).toBeLessThanOrEqual(totalMs - heldMs);
  });

  it("removes a pending job from the queue when the research is aborted, without running it", async () => {
    const controller = new AbortController();
    const { jobs, lines, run } = setup({ command: "echo ran", sbatch: { extra: ["--hold"] } });
    const running = run({
      abortSignal: controller.signal,
      onStart: ({ jobId }) => {
        if (jobId !== undefined) jobs.push(jobId);
      },
    });
    while (jobs.length === 0 || inQueue(jobs[0] as string) !== "PENDING") await sleep(100);
    controller.abort();
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(result.durationMs).toBe(0);
    expect(lines).toEqual([]);
    expect(inQueue(jobs[0] as string)).toBe("");
  });

  it("records a job Slurm refuses as not submitted, with sbatch's own words", async () => {
    const { run } = setup({ command: "true", sbatch: { partition: "no-such-partition" } });
    const result = await run();
    expect(result.exitCode).toBeNull();
    expect(result.failure?.kind).toBe("not-submitted");
    expect(result.failure?.reason).toMatch(/Slurm did not accept the job: .*invalid partition/i);
  });

  it("redacts the research's secrets and the job's credentials from the log and the streamed lines", async () => {
    const { lines, run } = setup({
      command: 'echo "key=$SERVICE_API_KEY given=sentinel-given-secret"',
      env: { SERVICE_API_KEY: "sentinel-env-key-123" },
    });
    const result = await run({ secrets: ["sentinel-given-secret"] });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(["key=[redacted] given=[redacted]"]);
    const log = readFileSync(result.logFile, "utf8");
    expect(log).not.toContain("sentinel-env-key-123");
    expect(log).not.toContain("sentinel-given-secret");
  });

  it("cancels a job a failed submission queued all the same (sbatch timing out after the controller took it)", async () => {
    // An sbatch that submits, then fails as a timed-out one does; the other commands are the real ones.
    const bin = mkdtempSync(join(tmpdir(), "autoresearch-slurm-bin-"));
    for (const name of ["squeue", "scancel", "scontrol", "sacct", "sinfo"]) {
      const real = spawnSync("bash", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
      if (real !== "") writeFileSync(join(bin, name), `#!/bin/sh\nexec ${real} "$@"\n`, { mode: 0o755 });
    }
    const sbatch = spawnSync("bash", ["-c", "command -v sbatch"], { encoding: "utf8" }).stdout.trim();
    writeFileSync(
      join(bin, "sbatch"),
      `#!/bin/sh\n${sbatch} "$@" > /dev/null\necho "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    const { run } = setup({ command: "sleep 60", binDirectory: bin });
    const result = await run({ trial: 7, env: { AUTORESEARCH_TAG: "orphan", AUTORESEARCH_SAMPLE: "0" } });
    expect(result.failure?.kind).toBe("not-submitted");
    expect(readFileSync(result.logFile, "utf8")).toMatch(/cancelled job \d+, queued all the same/);
    await sleep(500);
    expect(slurm("squeue", "--noheader", "--name=autoresearch-orphan-7-0", "--format=%i")).toBe("");
  });

  it("follows concurrent runs of one runner, each job to its own log", async () => {
    const { directory, runner, jobs } = setup({ command: 'echo "trial $AUTORESEARCH_TRIAL"; sleep 1' });
    const results = await Promise.all(
      [1, 2].map((trial) =>
        runner.run({
          directory,
          trial,
          logFile: join(directory, "logs", `${trial}.log`),
          env: { AUTORESEARCH_TAG: "runner-test", AUTORESEARCH_TRIAL: String(trial) },
          abortSignal: new AbortController().signal,
          onStart: ({ jobId }) => {
            if (jobId !== undefined) jobs.push(jobId);
          },
        }),
      ),
    );
    expect(new Set(jobs).size).toBe(2);
    for (const [index, result] of results.entries()) {
      expect(result.exitCode).toBe(0);
      expect(readFileSync(result.logFile, "utf8")).toMatch(new RegExp(`^trial ${index + 1}\n`));
    }
  });

  it("refuses a log path Slurm would read as a pattern, before submitting anything", async () => {
    const { directory, run } = setup({ command: "true" });
    const result = await run({ logFile: join(directory, "100%", "1.log") });
    expect(result.failure?.kind).toBe("not-submitted");
    expect(result.failure?.reason).toMatch(/reads `%` in file names as a pattern/);
    expect(result.job).toBeUndefined();
  });

  it("cancels its jobs when the driver exits while they run", async () => {
    const scratch = mkdtempSync(join(tmpdir(), "autoresearch-slurm-exit-"));
    const script = join(scratch, "exit.mts");
    writeFileSync(
      script,
      `import { createSlurmRunner } from ${JSON.stringify(resolve("src/index.ts"))};
const runner = createSlurmRunner({ command: "echo started; sleep 600", pollIntervalMs: 200 });
await runner.run({
  directory: ${JSON.stringify(scratch)},
  trial: 1,
  logFile: ${JSON.stringify(join(scratch, "1.log"))},
  env: { AUTORESEARCH_TAG: "exiting" },
  abortSignal: new AbortController().signal,
  onStart: ({ jobId }) => console.log(jobId),
  onLine: (line) => { if (line === "started") process.exit(3); },
});
`,
    );
    const child = spawnSync(process.execPath, ["--import", "tsx", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.status).toBe(3);
    const jobId = child.stdout.trim();
    expect(jobId).toMatch(/^\d+$/);
    // The job got Slurm's cancel on the driver's way out; it may still be completing for a moment.
    for (let tries = 0; inQueue(jobId) !== "" && tries < 100; tries++) await sleep(100);
    expect(inQueue(jobId)).toBe("");
    expect(slurm("scontrol", "show", "job", "-o", jobId)).toMatch(/JobState=CANCELLED/);
  });
});
