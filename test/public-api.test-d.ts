// Type tests of the API users write against; checked by `tsc` (npm run typecheck).
import { expectTypeOf } from "vitest";
import {
  type AgentMutatorOptions,
  agentPresets,
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
