/**
 * What going through Slurm costs per trial, on the Slurm that answers here (scripts/slurm-up.sh starts one):
 *   1. submission-to-start latency: from calling sbatch to the job's first instruction (the job writes the time;
 *      one clock, as the one-node Slurm runs on this machine), for jobs submitted one at a time;
 *   2. the loop's time per trial around a no-op experiment, with the local command runner and with the Slurm
 *      runner at two poll intervals: total per trial, time in the queue as the runner saw it, and what is left
 *      once the proposal and the run itself are taken out.
 * Run: npx tsx bench/slurm-overhead.ts [trials]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createCommandRunner,
  createSlurmRunner,
  isTrialCount,
  type Runner,
  runResearch,
} from "../src/index.js";
import { MockMutator, MockObjective } from "../src/testing/index.js";

const trials = Number(process.argv[2] ?? 10);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

const figures = (values: number[]) =>
  `${quantile(values, 0.5).toFixed(0).padStart(6)} ${quantile(values, 0.9).toFixed(0).padStart(6)}`;

async function submissionToStart(count: number): Promise<number[]> {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-bench-slurm-"));
  const latencies: number[] = [];
  for (let index = 0; index < count; index++) {
    const marker = join(directory, `started-${index}`);
    const before = Date.now();
    execFileSync("sbatch", ["--parsable", "--output=/dev/null", `--wrap=date +%s%3N > ${marker}`], { env });
    while (!existsSync(marker) || readFileSync(marker, "utf8").trim() === "") await sleep(5);
    latencies.push(Number(readFileSync(marker, "utf8").trim()) - before);
  }
  rmSync(directory, { recursive: true, force: true });
  return latencies;
}

function repository(): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-bench-slurm-"));
  const run = (...args: string[]) => execFileSync("git", args, { cwd: directory, env, stdio: "ignore" });
  run("init", "-q", "-b", "main");
  writeFileSync(join(directory, "params.txt"), "0\n");
  run("add", "-A");
  run("commit", "-q", "-m", "initial");
  return directory;
}

async function research(runner: Runner) {
  const directory = repository();
  let counter = 0;
  const summary = await runResearch({
    directory,
    tag: "bench",
    mutator: new MockMutator({
      propose: () => ({ files: { "params.txt": `${++counter}\n` }, description: "bump" }),
    }),
    runner,
    objective: new MockObjective({ measure: (_options, call) => 1000 - call - (call % 2) * 2 }),
    scope: { editable: ["params.txt"], protected: [] },
    stopWhen: isTrialCount(trials + 1),
  });
  rmSync(directory, { recursive: true, force: true });
  const records = summary.records.filter((record) => record.kind !== "baseline");
  return {
    total: records.map((record) => record.durations.totalMs),
    queued: records.map((record) => record.run?.queuedMs ?? 0),
    run: records.map((record) => record.durations.runMs),
    rest: records.map(
      (record) => record.durations.totalMs - record.durations.proposeMs - record.durations.runMs,
    ),
  };
}

const sinfo = (() => {
  try {
    return execFileSync("sinfo", ["--noheader", "--format=%T"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
})();
if (!/idle|mixed|allocated/.test(sinfo)) {
  console.error("No Slurm answers here: start one with scripts/slurm-up.sh");
  process.exit(1);
}

const latencies = await submissionToStart(trials);
console.log(
  `Slurm submission to start, ${trials} jobs one at a time (ms):  median ${figures(latencies)} (p90)`,
);
console.log("");
console.log(`Per trial over ${trials} no-op trials (ms; median, then p90):`);
console.log("runner                  total         queued        run           total - propose - run");
const command = "echo metric: 1";
const rows: [string, Runner][] = [
  ["command (local)", createCommandRunner({ command })],
  ["slurm, poll 1000 ms", createSlurmRunner({ command })],
  ["slurm, poll 200 ms", createSlurmRunner({ command, pollIntervalMs: 200 })],
];
const local = await research(rows[0]?.[1] as Runner);
const results = [local];
for (const [, runner] of rows.slice(1)) results.push(await research(runner));
rows.forEach(([name], index) => {
  const result = results[index] as typeof local;
  console.log(
    `${name.padEnd(22)} ${figures(result.total)}  ${figures(result.queued)}  ${figures(result.run)}  ${figures(result.rest)}`,
  );
});
for (const [index, [name]] of rows.entries()) {
  if (index === 0) continue;
  const extra = quantile((results[index] as typeof local).total, 0.5) - quantile(local.total, 0.5);
  console.log(`${name}: ${extra.toFixed(0)} ms more per trial than local (medians)`);
}
