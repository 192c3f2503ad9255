// Type tests of the API users write against; checked by `tsc` (npm run typecheck).
import { expectTypeOf } from "vitest";
import {
  type CaseScores,
  createPromptfooObjective,
  defineConfig,
  defineMutator,
  defineRunner,
  type Proposal,
  type ResearchEvent,
  type ResearchSummary,
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
