import type { StopCondition } from "../spec/events.js";

/**
 * Stops once `count` trials are recorded, the baseline and resumed trials included. Trials already under way
 * count too, so parallel slots never start more than `count` in all.
 */
export function isTrialCount(count: number): StopCondition {
  return (state) => (state.records.length + (state.inFlight ?? 0) >= count ? "trial-count" : false);
}

/** Stops once this session has run for `milliseconds`. */
export function isWallTimeOver(milliseconds: number): StopCondition {
  return (state) => (state.elapsedMs >= milliseconds ? "wall-time" : false);
}

/** Stops after `trials` trials in a row without a keep. */
export function isStalled(trials: number): StopCondition {
  return (state) => (state.sinceImprovement >= trials ? "stalled" : false);
}

/** Stops once the incumbent's metric reaches `value` (at or below it when minimizing, at or above when maximizing). */
export function isTargetReached(value: number): StopCondition {
  return (state) => {
    const metric = state.best?.metric;
    if (metric === undefined || metric === null) return false;
    const reached = state.direction === "minimize" ? metric <= value : metric >= value;
    return reached ? "target-reached" : false;
  };
}

/** Stops once the proposers' recorded cost (LLM tokens, agent usage) reaches `usd`. */
export function isCostOver(usd: number): StopCondition {
  return (state) => (state.costUsd >= usd ? "cost" : false);
}

/**
 * Stops once the experiments' compute time reaches `hours` slot-hours: every run's duration (candidates,
 * incumbent re-runs, holdouts), summed over all slots and all sessions of the research. With `isCostOver`, one
 * budget for tokens and compute.
 */
export function isComputeOver(hours: number): StopCondition {
  const limitMs = hours * 3_600_000;
  return (state) => ((state.computeMs ?? 0) >= limitMs ? "compute" : false);
}
