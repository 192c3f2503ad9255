import type { StopCondition } from "../spec/events.js";

/** Stops once `count` trials are recorded, the baseline and resumed trials included. */
export function isTrialCount(count: number): StopCondition {
  return (state) => (state.records.length >= count ? "trial-count" : false);
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

/** Stops once the proposers' recorded cost reaches `usd`. */
export function isCostOver(usd: number): StopCondition {
  return (state) => (state.costUsd >= usd ? "cost" : false);
}
