/**
 * What the default keep rule costs and buys, over several seeds. Prints figures; asserts nothing.
 *
 *   npx tsx bench/noise-defaults.ts [seeds, default 10] [quickstart trials, default 10]
 *
 * pure noise: a target whose metric is N(1.0, 0.05) whatever the code, 50 proposals per research:
 *   false_keeps_default / false_keeps_strictly_better   keeps per 50 proposals (the target is 0)
 *   runs_per_proposal_default                            experiment runs per proposal (the target is <= 1.3)
 * quickstart: the built-in example (a deterministic target), the search space seeded per research:
 *   runs_per_proposal_quickstart                         experiment runs per proposal with the default
 *   quickstart_best_default vs quickstart_best_strictly_better   the final best val_bpb, mean over seeds
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import quickstart from "../examples/quickstart/autoresearch.config.js";
import {
  createCommandRunner,
  createMetricObjective,
  createSearchSpaceMutator,
  defineMutator,
  defineRunner,
  isTrialCount,
  type ResearchEvent,
  runResearch,
} from "../src/index.js";
import { createRandom, normalSample } from "../src/random.js";

const seeds = Number(process.argv[2] ?? 10);
const quickstartTrials = Number(process.argv[3] ?? 10);
const identity = {
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@x",
};

function repository(files: Record<string, string> | string): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-noise-"));
  if (typeof files === "string") cpSync(files, directory, { recursive: true });
  else {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(directory, file)), { recursive: true });
      writeFileSync(join(directory, file), content);
    }
  }
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: directory, env: { ...process.env, ...identity }, stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "initial");
  return directory;
}

type Rule = "default" | "strictly-better";
const decisionOf = (rule: Rule) =>
  rule === "default" ? {} : { decision: { rule: "strictly-better" as const } };

/** Counts the experiment runs made for proposals (not the baseline's). */
function runCounter() {
  let runs = 0;
  return {
    onEvent: (event: ResearchEvent) => {
      if (event.type === "run-start" && event.trial !== 0) runs++;
    },
    runs: () => runs,
  };
}

async function pureNoise(seed: number, rule: Rule): Promise<{ keeps: number; runsPerProposal: number }> {
  const directory = repository({ "params.txt": "0\n" });
  const noise = createRandom(seed);
  const runner = defineRunner({
    name: "noise",
    async run({ logFile }) {
      await mkdir(dirname(logFile), { recursive: true });
      await writeFile(logFile, `score: ${(1 + 0.05 * normalSample(noise)).toFixed(6)}\n`);
      return {
        exitCode: 0,
        signal: null,
        durationMs: 0,
        timedOut: false,
        interrupted: false,
        logFile,
        outputTail: "",
      };
    },
  });
  const counter = runCounter();
  const summary = await runResearch({
    directory,
    tag: "noise",
    runner,
    mutator: defineMutator({
      name: "counter",
      async propose({ directory: worktree, trial }) {
        await writeFile(join(worktree, "params.txt"), `${trial}\n`);
        return { type: "edit", description: `params ${trial}` };
      },
    }),
    objective: createMetricObjective({ metric: "score", direction: "minimize", ...decisionOf(rule) }),
    scope: { editable: ["params.txt"], protected: [] },
    stopWhen: isTrialCount(51),
    onEvent: counter.onEvent,
  });
  rmSync(directory, { recursive: true, force: true });
  const proposals = summary.records.filter((record) => record.kind !== "baseline").length;
  return {
    keeps: summary.records.filter((record) => record.kind !== "baseline" && record.status === "keep").length,
    runsPerProposal: counter.runs() / proposals,
  };
}

async function quickstartResearch(
  seed: number,
  rule: Rule,
): Promise<{ best: number; runsPerProposal: number }> {
  const directory = repository(resolve("examples/quickstart"));
  const counter = runCounter();
  const summary = await runResearch({
    directory,
    tag: "quickstart",
    runner: createCommandRunner(quickstart.runner),
    objective: createMetricObjective({ ...quickstart.objective, direction: "minimize", ...decisionOf(rule) }),
    mutator: createSearchSpaceMutator({
      ...(quickstart.mutator.searchSpace as Parameters<typeof createSearchSpaceMutator>[0]),
      seed,
    }),
    scope: quickstart.scope,
    stopWhen: isTrialCount(quickstartTrials),
    onEvent: counter.onEvent,
  });
  rmSync(directory, { recursive: true, force: true });
  const proposals = summary.records.filter((record) => record.kind !== "baseline").length;
  return { best: summary.best?.metric ?? Number.NaN, runsPerProposal: counter.runs() / proposals };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const noisy = { default: [] as number[], strict: [] as number[], runs: [] as number[] };
for (let seed = 1; seed <= seeds; seed++) {
  const aware = await pureNoise(seed, "default");
  const naive = await pureNoise(seed, "strictly-better");
  noisy.default.push(aware.keeps);
  noisy.strict.push(naive.keeps);
  noisy.runs.push(aware.runsPerProposal);
}
console.log(
  `false_keeps_default: ${noisy.default.join(" ")} (mean ${mean(noisy.default).toFixed(2)} per 50 proposals)`,
);
console.log(`false_keeps_strictly_better: ${noisy.strict.join(" ")} (mean ${mean(noisy.strict).toFixed(2)})`);
console.log(
  `runs_per_proposal_default: ${mean(noisy.runs).toFixed(3)} (max ${Math.max(...noisy.runs).toFixed(3)})`,
);

const quick = { default: [] as number[], strict: [] as number[], runs: [] as number[] };
for (let seed = 1; seed <= seeds; seed++) {
  const aware = await quickstartResearch(seed, "default");
  const naive = await quickstartResearch(seed, "strictly-better");
  quick.default.push(aware.best);
  quick.strict.push(naive.best);
  quick.runs.push(aware.runsPerProposal);
}
console.log(`runs_per_proposal_quickstart: ${mean(quick.runs).toFixed(3)}`);
console.log(
  `quickstart_best_default: ${mean(quick.default).toFixed(4)} vs quickstart_best_strictly_better: ${mean(quick.strict).toFixed(4)} (${quick.default.filter((value, index) => value === quick.strict[index]).length}/${seeds} seeds identical)`,
);
console.log(
  `(${seeds} seeds, ${quickstartTrials} quickstart trials each; ${new Date().toISOString()}; ${process.version})`,
);
