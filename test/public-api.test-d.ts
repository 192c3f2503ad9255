// Type tests of the API users write against; checked by `tsc` (npm run typecheck).
import { expectTypeOf } from "vitest";
import {
  type AgentMutatorOptions,
  agentPresets,
  type CaseScores,
  createPromptfooObjective,
  createSlurmRunner,
  defineConfig,
  defineMutator,
  defineRunner,
  type Proposal,
  type ResearchEvent,
  type ResearchSummary,
  type RunFailureKind,
  type RunResult,
  runResearch,
  streamResearch,
  type TrialRecord,
} from "../src/index.js";

const runner = defineRunner({
  name: "mine",
  async run(options) {
    expectTypeOf(options.abortSignal).toEqualTypeOf<AbortSignal>();
    expectTypeOf(options.env).toEqualTypeOf<Record<string, string>>();
    return {
      exitCode: 0,
      signal: null,
      durationMs: 1,
      timedOut: false,
      interrupted: false,
      logFile: options.logFile,
      outputTail: "",
    } satisfies RunResult;
  },
});
expectTypeOf(runner.name).toEqualTypeOf<string>();

const mutator = defineMutator({
  name: "mine",
  async propose(options): Promise<Proposal> {
    expectTypeOf(options.history).toEqualTypeOf<readonly TrialRecord[]>();
    return { type: "edit", description: "x" };
  },
});

expectTypeOf(runResearch).returns.resolves.toEqualTypeOf<ResearchSummary>();
expectTypeOf(streamResearch).returns.toEqualTypeOf<AsyncGenerator<ResearchEvent, ResearchSummary>>();

declare const event: ResearchEvent;
if (event.type === "trial-end") expectTypeOf(event.record.status).toEqualTypeOf<TrialRecord["status"]>();

defineConfig({
  runner: { command: "python train.py", timeoutMs: 1000 },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator,
  scope: { editable: ["train.py"] },
});
// @ts-expect-error a runner needs a command or a run method
defineConfig({ runner: 5, objective: runner, mutator, scope: { editable: ["x"] } });

// A cluster runner: declared in a config, or built; its jobs reported to onStart, its recovery and preflight typed.
defineConfig({
  runner: {
    slurm: { command: "uv run train.py", timeoutMs: 600_000, sbatch: { partition: "gpu", gres: "gpu:1" } },
  },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator,
  scope: { editable: ["train.py"] },
});
const slurm = createSlurmRunner({
  command: ["python", "train.py"],
  sbatch: { mem: "64G", time: "01:00:00" },
});
expectTypeOf(slurm.recover).returns.resolves.toEqualTypeOf<{ stopped: string[] }>();
expectTypeOf(slurm.preflight).returns.resolves.toEqualTypeOf<{ passed: string[]; warnings: string[] }>();
expectTypeOf<RunResult["failure"]>().toEqualTypeOf<{ kind: RunFailureKind; reason: string } | undefined>();
defineRunner({
  name: "cluster",
  async run(options) {
    options.onStart?.({ jobId: "4711" });
    return {
      exitCode: 0,
      signal: null,
      durationMs: 1,
      queuedMs: 5,
      timedOut: false,
      interrupted: false,
      logFile: "",
      outputTail: "",
    };
  },
  async recover({ jobIds }) {
    return { stopped: jobIds.map((id) => `cancelled ${id}`) };
  },
});
// @ts-expect-error sbatch options are checked: memory is a size such as "64G" or a number of megabytes
createSlurmRunner({ command: "x", sbatch: { memory: "64G" } });
// Any role may check itself before the baseline.
defineRunner({
  name: "checked",
  preflight(options) {
    expectTypeOf(options.checkout).toEqualTypeOf<string>();
    expectTypeOf(options.env).toEqualTypeOf<Record<string, string>>();
  },
  run: runner.run,
});

// Every research option is settable from a config file, holdout roles as data included.
defineConfig({
  runner: { command: ["python", "train.py"] },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator: { patches: "patches" },
  scope: { editable: ["train.py"] },
  baseline: false,
  holdout: {
    runner: { command: "python eval.py" },
    objective: { metric: "acc", direction: "maximize" },
    tolerance: 0.01,
  },
});
defineConfig({
  runner: { command: "x" },
  objective: { metric: "m", direction: "minimize" },
  // @ts-expect-error not a declared built-in
  mutator: { patchez: "patches" },
  scope: { editable: ["x"] },
});
// The agent proposer's options, as a config file holds them.
defineConfig({
  runner: { command: "python train.py" },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator: {
    agent: { preset: "qwen-code", baseURL: "http://127.0.0.1:8000/v1", instructions: "program.md" },
  },
  scope: { editable: ["train.py"] },
});
expectTypeOf<AgentMutatorOptions["preset"]>().toEqualTypeOf<
  "claude-code" | "codex" | "qwen-code" | "aider" | undefined
>();
expectTypeOf(agentPresets.codex.minimumVersion).toEqualTypeOf<string>();
// @ts-expect-error cursor is not a preset
const unknownPreset: AgentMutatorOptions = { preset: "cursor", instructions: "x" };
void unknownPreset;
// An eval suite in a config file, with a sealed test; the per-case results a comparison may pair.
defineConfig({
  runner: { promptfoo: { args: ["--filter-metadata", "split=dev"] } },
  objective: { promptfoo: { decision: { rule: "paired", test: "exact" }, passK: 3 } },
  mutator,
  scope: { editable: ["prompts/**"] },
  finalEvaluation: {
    runner: { promptfoo: { args: ["--filter-metadata", "split=test"] } },
    objective: { promptfoo: {} },
  },
});
const promptfoo = createPromptfooObjective({ constraints: { "cost.total": { max: 1 } } });
expectTypeOf(promptfoo.compare)
  .parameter(0)
  .toHaveProperty("candidateCases")
  .toEqualTypeOf<CaseScores | undefined>();
if (event.type === "research-end" && event.summary.finalEvaluation !== undefined) {
  expectTypeOf(event.summary.finalEvaluation.best.metric).toEqualTypeOf<number | null>();
}
// @ts-expect-error a promptfoo objective has no `regex` source
createPromptfooObjective({ source: { type: "regex" } });
