/**
 * Throughput of the scheduler on a real repository, with a simulated runner (waits a run time T, prints a metric)
 * and a simulated proposer (latency 0.1·T). Prints one line per figure; asserts nothing.
 *
 *   npx tsx bench/throughput.ts [T in ms, default 2000] [early-stopping seeds, default 10]
 *
 * duty_cycle_1           busy fraction of one slot, proposing ahead (sequential, for comparison, on the next line)
 * speedup_2/4/8          trials per hour with N slots against one slot, each proposing N ahead
 * early_stop_saved       the share of run progress early stopping saved on synthetic learning curves
 * early_stop_same_best   in how many seeds the final best equals the one found without early stopping
 * overhead_ms_per_trial  the loop's own time per trial with 8 slots: the wall clock of 200 no-op trials (runs and
 *                        proposals that take no time) over their number; beside it the median latency of one trial
 *                        (its total minus its proposal and runs, as loop-overhead.ts measures one slot), which with
 *                        8 slots includes waiting for the others' git work and records
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import {
  defineMutator,
  defineObjective,
  defineRunner,
  isTrialCount,
  type ResearchEvent,
  runResearch,
} from "../src/index.js";
import { createRandom } from "../src/random.js";

const runMs = Number(process.argv[2] ?? 2000);
const seeds = Number(process.argv[3] ?? 10);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

function repository(): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-throughput-"));
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: "b",
    GIT_AUTHOR_EMAIL: "b@x",
    GIT_COMMITTER_NAME: "b",
    GIT_COMMITTER_EMAIL: "b@x",
  };
  const git = (...args: string[]) => execFileSync("git", args, { cwd: directory, env, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  mkdirSync(join(directory, "src"));
  for (let index = 0; index < 20; index++)
    writeFileSync(join(directory, "src", `file${index}.txt`), "line\n".repeat(50));
  writeFileSync(join(directory, "metric.txt"), "1\n");
  // The proposals add files p<n>.txt; preflight wants the editable glob to match a file from the start.
  writeFileSync(join(directory, "p0.txt"), "0\n");
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  return directory;
}

/** A runner that runs nothing: it waits `runMs` (or until stopped) and prints what `metric.txt` holds. */
const waitingRunner = (wait: number) =>
  defineRunner({
    name: "simulated",
    async run({ logFile, abortSignal, directory }) {
      const started = performance.now();
      await sleep(wait, abortSignal);
      const { readFile } = await import("node:fs/promises");
      const value = (await readFile(join(directory, "metric.txt"), "utf8")).trim();
      await mkdir(dirname(logFile), { recursive: true });
      await writeFile(logFile, `score: ${value}\n`);
      return {
        exitCode: abortSignal.aborted ? null : 0,
        signal: null,
        durationMs: Math.round(performance.now() - started),
        timedOut: false,
        interrupted: abortSignal.aborted,
        logFile,
        outputTail: "",
      };
    },
  });

/** Proposals that never help (a new file each), so nothing is kept and every trial is one run. */
const slowProposer = (latency: number) =>
  defineMutator({
    name: "simulated",
    async propose({ directory, trial }) {
      await sleep(latency);
      await writeFile(join(directory, `p${trial}.txt`), `${trial}\n`);
      return { type: "edit", description: `idea ${trial}` };
    },
  });

const scoreObjective = defineObjective({
  name: "score",
  metric: "score",
  direction: "maximize",
  async measure({ run }) {
    const { readFile } = await import("node:fs/promises");
    const value = Number(/score: ([\d.]+)/.exec(await readFile(run.logFile, "utf8"))?.[1]);
    return { metrics: { score: value }, value, violations: [] };
  },
  compare: ({ candidate, incumbent }) => {
    const delta = (candidate[0] ?? 0) - (incumbent[0] ?? 0);
    return { better: delta > 0, delta, reason: "", rule: "bench" };
  },
});

interface Throughput {
  trialsPerHour: number;
  duty: number;
}

/** Runs `trials` trials after the baseline with `slots` slots; the steady-state rate and the slots' busy share. */
async function throughput(
  slots: number,
  proposeAhead: number,
  trials: number,
  wait = runMs,
): Promise<Throughput> {
  const directory = repository();
  const busy = new Map<number, number>();
  const started = new Map<number, number>();
  let from = 0;
  let to = 0;
  let done = 0;
  const onEvent = (event: ResearchEvent) => {
    const now = performance.now();
    if (event.type === "trial-end" && event.record.kind === "baseline") from = now;
    if (event.type === "trial-end" && event.record.kind !== "baseline") {
      done++;
      to = now;
    }
    if (from === 0) return;
    if (event.type === "run-start") started.set(event.slot ?? 0, now);
    if (event.type === "run-end") {
      const slot = event.slot ?? 0;
      busy.set(slot, (busy.get(slot) ?? 0) + now - (started.get(slot) ?? now));
    }
  };
  await runResearch({
    directory,
    tag: "bench",
    slots,
    proposeAhead,
    runner: waitingRunner(wait),
    mutator: slowProposer(wait * 0.1),
    objective: scoreObjective,
    scope: { editable: ["p*.txt"], protected: [] },
    stopWhen: isTrialCount(trials + 1),
    onEvent,
  });
  rmSync(directory, { recursive: true, force: true });
  const elapsed = to - from;
  const busyTotal = [...busy.values()].reduce((sum, value) => sum + value, 0);
  return { trialsPerHour: (done / elapsed) * 3_600_000, duty: busyTotal / (elapsed * slots) };
}

/** Synthetic learning curves: value(step) = q + 2·exp(-step/25) + noise; a proposal's q is drawn per trial. */
async function earlyStopping(seed: number, stop: boolean): Promise<{ best: number; steps: number }> {
  const directory = repository();
  let steps = 0;
  const random = createRandom(seed);
  const qualities = Array.from({ length: 40 }, () => 1 + random() * 0.5);
  const curveRunner = defineRunner({
    name: "curves",
    async run({ logFile, abortSignal, directory: worktree, onLine, trial }) {
      const { readFile } = await import("node:fs/promises");
      const q = Number((await readFile(join(worktree, "metric.txt"), "utf8")).trim());
      const noise = createRandom(seed * 1000 + trial);
      const lines: string[] = [];
      let value = 0;
      for (let step = 1; step <= 100 && !abortSignal.aborted; step++) {
        value = q + 2 * Math.exp(-step / 25) + (noise() - 0.5) * 0.01;
        steps++;
        const line = `step ${step} loss ${value.toFixed(5)}`;
        lines.push(line);
        onLine?.(line);
        if (step % 10 === 0) await sleep(0);
      }
      if (!abortSignal.aborted) lines.push(`loss: ${value.toFixed(5)}`);
      await writeFile(logFile, `${lines.join("\n")}\n`);
      return {
        exitCode: 0,
        signal: null,
        durationMs: 0,
        timedOut: false,
        interrupted: abortSignal.aborted,
        logFile,
        outputTail: "",
      };
    },
  });
  const summary = await runResearch({
    directory,
    tag: "curves",
    runner: curveRunner,
    mutator: defineMutator({
      name: "qualities",
      async propose({ directory: worktree, trial }) {
        await writeFile(join(worktree, "metric.txt"), `${qualities[trial - 1]}\n`);
        return { type: "edit", description: `q ${qualities[trial - 1]}` };
      },
    }),
    objective: (await import("../src/index.js")).createMetricObjective({
      metric: "loss",
      direction: "minimize",
      progress: { progress: "step", value: "loss" },
    }),
    scope: { editable: ["metric.txt"], protected: [] },
    stopWhen: isTrialCount(41),
    ...(stop ? { earlyStopping: { minProgress: 20 } } : {}),
  });
  rmSync(directory, { recursive: true, force: true });
  return { best: summary.best?.metric ?? Number.NaN, steps };
}

/** The loop's own time per trial with 8 slots: each record's total minus its proposal and runs (as loop-overhead.ts). */
async function overhead(): Promise<{ median: number; wallPerTrial: number }> {
  const trials = 200;
  const directory = repository();
  const started = performance.now();
  const summary = await runResearch({
    directory,
    tag: "overhead",
    slots: 8,
    proposeAhead: 8,
    runner: waitingRunner(0),
    mutator: slowProposer(0),
    objective: scoreObjective,
    scope: { editable: ["p*.txt"], protected: [] },
    stopWhen: isTrialCount(trials + 1),
  });
  const elapsed = performance.now() - started;
  rmSync(directory, { recursive: true, force: true });
  const own = summary.records
    .filter((record) => record.kind !== "baseline")
    .map((record) => record.durations.totalMs - record.durations.proposeMs - record.durations.runMs)
    .sort((a, b) => a - b);
  return { median: own[Math.floor(own.length / 2)] ?? Number.NaN, wallPerTrial: elapsed / (trials + 1) };
}

const perSlot = 12;
const sequential = await throughput(1, 0, perSlot);
const one = await throughput(1, 1, perSlot);
console.log(`duty_cycle_1: ${one.duty.toFixed(3)}`);
console.log(`duty_cycle_1_sequential: ${sequential.duty.toFixed(3)}`);
for (const slots of [2, 4, 8]) {
  const many = await throughput(slots, slots, perSlot * slots);
  console.log(
    `speedup_${slots}: ${(many.trialsPerHour / one.trialsPerHour).toFixed(2)} (duty ${many.duty.toFixed(3)})`,
  );
}
let saved = 0;
let total = 0;
let same = 0;
for (let seed = 1; seed <= seeds; seed++) {
  const full = await earlyStopping(seed, false);
  const stopped = await earlyStopping(seed, true);
  saved += full.steps - stopped.steps;
  total += full.steps;
  if (Math.abs(full.best - stopped.best) < 1e-9) same++;
}
console.log(`early_stop_saved: ${(saved / total).toFixed(3)}`);
console.log(`early_stop_same_best: ${same}/${seeds}`);
const loop = await overhead();
console.log(
  `overhead_ms_per_trial: ${loop.wallPerTrial.toFixed(1)} (8 slots, no-op runs and proposals: wall clock per trial; a trial's own latency, median: ${loop.median.toFixed(1)})`,
);
console.log(`(T = ${runMs} ms; ${new Date().toISOString()}; ${process.version})`);
