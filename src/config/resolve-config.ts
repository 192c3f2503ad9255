import { isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { AutoresearchError, ConfigurationError } from "../errors/autoresearch-error.js";
import type { ResearchOptions } from "../loop/research-options.js";
import {
  isCostOver,
  isStalled,
  isTargetReached,
  isTrialCount,
  isWallTimeOver,
} from "../loop/stop-conditions.js";
import type { StopCondition } from "../spec/events.js";
import type { Mutator } from "../spec/mutator.js";
import type { Objective } from "../spec/objective.js";
import type { Runner } from "../spec/runner.js";
import type { configSchema, DeclaredMutator, DeclaredObjective, DeclaredRunner } from "./config-schema.js";

type Config = z.output<typeof configSchema>;

function withField<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (ConfigurationError.isInstance(error)) {
      const message = error.message.replace(/`([^`]*)`/, (_, name: string) =>
        name === "(options)" ? `\`${field}\`` : `\`${field}.${name}\``,
      );
      throw new ConfigurationError({ field: `${field}.${error.field ?? ""}`, message, cause: error });
    }
    throw error;
  }
}

async function buildMutator(declared: Mutator | DeclaredMutator, directory: string): Promise<Mutator> {
  if ("propose" in declared && typeof declared.propose === "function") return declared;
  if ("searchSpace" in declared) {
    const { createSearchSpaceMutator } = await import("../mutators/search-space-mutator.js");
    return withField("mutator.searchSpace", () => createSearchSpaceMutator(declared.searchSpace));
  }
  if ("patches" in declared) {
    const { createPatchQueueMutator } = await import("../mutators/patch-queue-mutator.js");
    const patches =
      typeof declared.patches === "string" && !isAbsolute(declared.patches)
        ? resolve(directory, declared.patches)
        : declared.patches;
    return withField("mutator.patches", () => createPatchQueueMutator({ patches }));
  }
  if ("llm" in declared) {
    const { createLlmMutator } = await import("../mutators/llm-mutator.js");
    return withField("mutator.llm", () => createLlmMutator(declared.llm));
  }
  if ("agent" in declared) {
    const { createAgentMutator } = await import("../mutators/agent-mutator.js");
    return withField("mutator.agent", () => createAgentMutator(declared.agent));
  }
  throw new AutoresearchError({ message: "unreachable: the config schema admits no other mutator" });
}

/** Stop conditions from the config's `stop` rules and `stopWhen`, with command-line overrides. */
export function stopConditions(config: Pick<Config, "stop" | "stopWhen">): StopCondition[] {
  const { stop } = config;
  const conditions: StopCondition[] = config.stopWhen === undefined ? [] : [config.stopWhen].flat();
  if (stop.maxTrials !== undefined) conditions.push(isTrialCount(stop.maxTrials));
  if (stop.maxWallTimeMs !== undefined) conditions.push(isWallTimeOver(stop.maxWallTimeMs));
  if (stop.patience !== undefined) conditions.push(isStalled(stop.patience));
  if (stop.target !== undefined) conditions.push(isTargetReached(stop.target));
  if (stop.maxCostUsd !== undefined) conditions.push(isCostOver(stop.maxCostUsd));
  return conditions;
}

/** A runner from a config: an object implementing it, or a built-in's options. */
export async function buildRunner(declared: Runner | DeclaredRunner, field = "runner"): Promise<Runner> {
  if ("run" in declared && typeof declared.run === "function") return declared;
  if ("promptfoo" in declared) {
    const { createPromptfooRunner } = await import("../runners/promptfoo-runner.js");
    return withField(`${field}.promptfoo`, () => createPromptfooRunner(declared.promptfoo));
  }
  const { createCommandRunner } = await import("../runners/command-runner.js");
  return withField(field, () => createCommandRunner(declared as Parameters<typeof createCommandRunner>[0]));
}

/** An objective from a config: an object implementing it, or a built-in's options. */
export async function buildObjective(
  declared: Objective | DeclaredObjective,
  field = "objective",
): Promise<Objective> {
  if ("measure" in declared && typeof declared.measure === "function") return declared;
  if ("promptfoo" in declared) {
    const { createPromptfooObjective } = await import("../objectives/promptfoo-objective.js");
    return withField(`${field}.promptfoo`, () => createPromptfooObjective(declared.promptfoo));
  }
  if ("inspect" in declared) {
    const { createInspectObjective } = await import("../objectives/inspect-objective.js");
    return withField(`${field}.inspect`, () => createInspectObjective(declared.inspect));
  }
  if ("caseFile" in declared) {
    const { createCaseFileObjective } = await import("../objectives/case-file-objective.js");
    return withField(`${field}.caseFile`, () => createCaseFileObjective(declared.caseFile));
  }
  const { createMetricObjective } = await import("../objectives/metric-objective.js");
  return withField(field, () =>
    createMetricObjective(declared as Parameters<typeof createMetricObjective>[0]),
  );
}

/** Turns a loaded config into the options of `runResearch`, building the declared built-ins. */
export async function resolveConfig(config: Config, directory: string): Promise<ResearchOptions> {
  const runner = await buildRunner(config.runner);
  const objective = await buildObjective(config.objective);
  const mutator = await buildMutator(config.mutator, directory);
  const { holdout, finalEvaluation } = config;
  return {
    directory,
    tag: config.tag,
    runner,
    objective,
    mutator,
    scope: config.scope,
    stopWhen: stopConditions(config),
    evaluation: config.evaluation,
    repairAttempts: config.repairAttempts,
    env: config.env,
    maxConsecutiveFailures: config.maxConsecutiveFailures,
    ...(holdout === undefined
      ? {}
      : {
          holdout: {
            runner: await buildRunner(holdout.runner, "holdout.runner"),
            objective: await buildObjective(holdout.objective, "holdout.objective"),
            tolerance: holdout.tolerance,
          },
        }),
    ...(finalEvaluation === undefined
      ? {}
      : {
          finalEvaluation: {
            runner: await buildRunner(finalEvaluation.runner, "finalEvaluation.runner"),
            objective: await buildObjective(finalEvaluation.objective, "finalEvaluation.objective"),
            repeats: finalEvaluation.repeats,
          },
        }),
  };
}
