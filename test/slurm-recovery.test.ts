import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, expect, it } from "vitest";
import { createSlurmRunner, readLedgerFile } from "../src/index.js";
import { createRepository } from "./helpers/repository.js";
import { describeWithSlurm } from "./helpers/slurm.js";

const source = resolve("src/index.ts");

/** A driver of its own (a child process running runResearch through Slurm), printing its events as JSON lines. */
const driver = `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createMetricObjective, createSlurmRunner, isTrialCount, runResearch } from ${JSON.stringify(source)};
const [directory, hang, trials, slots = "1", from = "0"] = process.argv.slice(2);
await runResearch({
  directory,
  tag: "killed",
  slots: Number(slots),
  // Trials numbered "from" and later wait while the hang file exists.
  runner: createSlurmRunner({
    command:
      "echo started; if [ $AUTORESEARCH_TRIAL -ge " + from + " ]; then while [ -e " + hang + " ]; do sleep 0.2; done; fi; echo score: 1",
    pollIntervalMs: 200,
  }),
  objective: createMetricObjective({ metric: "score", direction: "maximize" }),
  mutator: {
    name: "counter",
    async propose({ directory, trial }) {
      writeFileSync(join(directory, "value.txt"), String(trial));
      return { type: "edit", description: "value " + trial };
    },
  },
  scope: { editable: ["value.txt"] },
  stopWhen: isTrialCount(Number(trials)),
  onEvent: (event) => console.log(JSON.stringify(event)),
});
`;

function startDriver(file: string, args: string[]): { child: ChildProcess; events: AsyncIterator<string> } {
  // `--import tsx` from the project's root, so the driver is one process: SIGKILL leaves nothing of it.
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
    cwd: process.cwd(),
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  return { child, events: lines[Symbol.asyncIterator]() };
}

async function until(events: AsyncIterator<string>, predicate: (event: Record<string, unknown>) => boolean) {
  for (;;) {
    const next = await events.next();
    if (next.done) throw new Error("the driver ended before the expected event");
    const event = JSON.parse(next.value) as Record<string, unknown>;
    if (predicate(event)) return event;
  }
}

function queueState(jobId: string): string {
  return execFileSync("squeue", ["--noheader", `--jobs=${jobId}`, "--format=%T"], {
    encoding: "utf8",
  }).trim();
}

function submit(name: string, directory: string): string {
  return execFileSync(
    "sbatch",
    ["--parsable", `--job-name=${name}`, `--chdir=${directory}`, "--output=/dev/null", "--wrap=sleep 600"],
    { encoding: "utf8" },
  ).trim();
}

describeWithSlurm("a driver killed with a Slurm job running", () => {
  const drivers: ChildProcess[] = [];
  afterEach(() => {
    // A failed test must not leave a driver behind.
    for (const child of drivers.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("leaves the job running; the next start cancels it and records the trial interrupted", async () => {
    const directory = createRepository({ "value.txt": "0" });
    const scratch = mkdtempSync(join(tmpdir(), "autoresearch-slurm-driver-"));
    const file = join(scratch, "driver.mts");
    writeFileSync(file, driver);
    // In the checkout, which runs see read-only in the sandbox (a /tmp of its own hides the scratch folder).
    const hang = join(directory, "hang");
    writeFileSync(hang, "");

    const first = startDriver(file, [directory, hang, "10"]);
    drivers.push(first.child);
    await until(first.events, (event) => event.type === "run-line" && event.line === "started");
    first.child.kill("SIGKILL");
    await new Promise((resolveExit) => first.child.once("exit", resolveExit));

    // The dead driver's marker for trial 0 (the baseline) names its job, and the job outlived it.
    const marker = JSON.parse(readFileSync(join(directory, ".autoresearch/killed/in-flight/0.json"), "utf8"));
    expect(marker.jobIds).toHaveLength(1);
    const jobId = marker.jobIds[0] as string;
    expect(queueState(jobId)).toBe("RUNNING");

    // The next driver's experiment does not wait; the first one's still would, had it not been cancelled.
    const second = startDriver(file, [directory, join(scratch, "no-hang"), "2"]);
    drivers.push(second.child);
    const start = await until(second.events, (event) => event.type === "research-start");
    // The job is gone by the time the research starts anything new.
    expect(queueState(jobId)).toBe("");
    expect(start.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^cancelled Slurm job ${jobId} \\(autoresearch-killed-0-0, running\\)`),
      ),
    ]);
    await new Promise((resolveExit) => second.child.once("exit", resolveExit));
    expect(second.child.exitCode).toBe(0);

    const records = await readLedgerFile(join(directory, ".autoresearch/killed/ledger.jsonl"));
    expect(records.map((record) => [record.id, record.kind, record.status])).toEqual([
      [0, "baseline", "interrupted"],
      [1, "baseline", "keep"],
    ]);
    expect(records[0]?.reason).toBe("the driver stopped during this trial");
    const markers = join(directory, ".autoresearch/killed/in-flight");
    expect(existsSync(markers) ? readdirSync(markers) : []).toEqual([]);
    const state = execFileSync("scontrol", ["show", "job", "-o", jobId], { encoding: "utf8" });
    expect(state).toMatch(/JobState=CANCELLED/);
  });

  it("with two slots, leaves two jobs running; the next start cancels both and records both trials interrupted", async () => {
    const directory = createRepository({ "value.txt": "0" });
    const scratch = mkdtempSync(join(tmpdir(), "autoresearch-slurm-driver-"));
    const file = join(scratch, "driver.mts");
    writeFileSync(file, driver);
    // In the checkout, which runs see read-only in the sandbox (a /tmp of its own hides the scratch folder).
    const hang = join(directory, "hang");
    writeFileSync(hang, "");

    // The baseline finishes; trials 1 and 2 then run at once, one job per slot, and wait.
    const first = startDriver(file, [directory, hang, "10", "2", "1"]);
    drivers.push(first.child);
    const started = new Set<unknown>();
    await until(first.events, (event) => {
      if (event.type === "run-line" && event.line === "started" && event.trial !== 0)
        started.add(event.trial);
      return started.size === 2;
    });
    first.child.kill("SIGKILL");
    await new Promise((resolveExit) => first.child.once("exit", resolveExit));
    const jobIds = [1, 2].flatMap(
      (trial) =>
        JSON.parse(readFileSync(join(directory, `.autoresearch/killed/in-flight/${trial}.json`), "utf8"))
          .jobIds as string[],
    );
    expect(jobIds).toHaveLength(2);
    for (const jobId of jobIds) expect(queueState(jobId)).toBe("RUNNING");

    const second = startDriver(file, [directory, join(scratch, "no-hang"), "3", "2", "1"]);
    drivers.push(second.child);
    const start = await until(second.events, (event) => event.type === "research-start");
    for (const jobId of jobIds) expect(queueState(jobId)).toBe("");
    expect(start.warnings).toHaveLength(2);
    await new Promise((resolveExit) => second.child.once("exit", resolveExit));
    expect(second.child.exitCode).toBe(0);
    const records = await readLedgerFile(join(directory, ".autoresearch/killed/ledger.jsonl"));
    expect(records.map((record) => [record.id, record.status])).toEqual([
      [0, "keep"],
      [1, "interrupted"],
      [2, "interrupted"],
    ]);
    for (const jobId of jobIds) {
      expect(execFileSync("scontrol", ["show", "job", "-o", jobId], { encoding: "utf8" })).toMatch(
        /JobState=CANCELLED/,
      );
    }
  });

  it("recover finds this research's jobs by name and place, and leaves every other job alone", async () => {
    const root = mkdtempSync(join(tmpdir(), "autoresearch-slurm-recover-"));
    const stateDirectory = join(root, ".autoresearch", "night");
    const worktree = join(stateDirectory, "worktrees", "trial");
    const elsewhere = join(root, "elsewhere");
    mkdirSync(worktree, { recursive: true });
    mkdirSync(elsewhere);
    const ours = submit("autoresearch-night-7-0", worktree);
    const otherPlace = submit("autoresearch-night-7-1", elsewhere);
    const otherTag = submit("autoresearch-night-2-7-0", worktree);
    const recorded = submit("some-other-name", elsewhere);
    try {
      const runner = createSlurmRunner({ command: "true", pollIntervalMs: 200 });
      const { stopped } = await runner.recover({
        tag: "night",
        stateDirectory,
        jobIds: [recorded],
        abortSignal: new AbortController().signal,
      });
      expect(stopped).toEqual([
        expect.stringMatching(new RegExp(`^cancelled Slurm job ${ours} \\(autoresearch-night-7-0`)),
      ]);
      expect(queueState(ours)).toBe("");
      // A recorded id alone is not enough: the job must also carry this research's name.
      for (const jobId of [otherPlace, otherTag, recorded]) expect(queueState(jobId)).not.toBe("");
      const again = await runner.recover({
        tag: "night",
        stateDirectory,
        jobIds: [],
        abortSignal: new AbortController().signal,
      });
      expect(again.stopped).toEqual([]);
    } finally {
      execFileSync("scancel", [otherPlace, otherTag, recorded]);
    }
  });
});
