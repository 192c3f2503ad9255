import type { ResearchOptions } from "../loop/research-options.js";
import {
  isComputeOver,
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
import type { ParsedConfig } from "./config-schema.js";
import { buildDeclaredRole } from "./declared-roles.js";

/** Stop conditions from the config's `stop` rules and `stopWhen`, with command-line overrides. */
export function stopConditions(config: Pick<ParsedConfig, "stop" | "stopWhen">): StopCondition[] {
  const { stop } = config;
  const conditions: StopCondition[] = config.stopWhen === undefined ? [] : [config.stopWhen].flat();
  if (stop.maxTrials !== undefined) conditions.push(isTrialCount(stop.maxTrials));
  if (stop.maxWallTimeMs !== undefined) conditions.push(isWallTimeOver(stop.maxWallTimeMs));
  if (stop.patience !== undefined) conditions.push(isStalled(stop.patience));
  if (stop.target !== undefined) conditions.push(isTargetReached(stop.target));
  if (stop.maxCostUsd !== undefined) conditions.push(isCostOver(stop.maxCostUsd));
  if (stop.maxComputeHours !== undefined) conditions.push(isComputeOver(stop.maxComputeHours));
  return conditions;
}

/**
 * Turns a loaded config into the options of `runResearch`, building the built-ins it declares as plain data.
 * Every other option passes through as written, so an option added to the research options needs nothing here.
 */
export async function resolveConfig(config: ParsedConfig, directory: string): Promise<ResearchOptions> {
  const {
    stop: _stop,
    stopWhen: _stopWhen,
    directory: _directory,
    holdout,
    finalEvaluation,
    ...rest
  } = config;
  const context = { directory };
  const options: ResearchOptions = {
    ...rest,
    directory,
    runner: await buildDeclaredRole<Runner>("runner", config.runner, "runner", context),
    objective: await buildDeclaredRole<Objective>("objective", config.objective, "objective", context),
    mutator: await buildDeclaredRole<Mutator>("mutator", config.mutator, "mutator", context),
    stopWhen: stopConditions(config),
  };
  if (holdout !== undefined) {
    options.holdout = {
      ...holdout,
      runner: await buildDeclaredRole<Runner>("runner", holdout.runner, "holdout.runner", context),
      objective: await buildDeclaredRole<Objective>(
        "objective",
        holdout.objective,
        "holdout.objective",
        context,
      ),
    };
  }
  if (finalEvaluation !== undefined) {
    options.finalEvaluation = {
      ...finalEvaluation,
      runner: await buildDeclaredRole<Runner>(
        "runner",
        finalEvaluation.runner,
        "finalEvaluation.runner",
        context,
      ),
      objective: await buildDeclaredRole<Objective>(
        "objective",
        finalEvaluation.objective,
        "finalEvaluation.objective",
        context,
      ),
    };
  }
  return options;
}
