import { mean, sampleStandardDeviation, sampleVariance } from "simple-statistics";
import type { Direction } from "../spec/objective.js";
import type { Comparison } from "../spec/records.js";
import { studentTCdf, studentTQuantile } from "./student-t.js";

export interface RuleOptions {
  metric: string;
  direction: Direction;
  /** The smallest improvement worth keeping, in the metric's units; 0 means any strict improvement. */
  minImprovement: number;
}

/** A number as a person reads it in a one-line reason: six significant digits, no trailing zeros. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

function formatSigned(value: number): string {
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}

function formatP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

interface Summary {
  candidateMean: number;
  incumbentMean: number;
  delta: number;
  /** Positive when the candidate is better, whichever the direction. */
  improvement: number;
  head: string;
  statistics: Record<string, number>;
}

function summarize(
  candidate: readonly number[],
  incumbent: readonly number[],
  options: RuleOptions,
): Summary {
  const candidateMean = mean([...candidate]);
  const incumbentMean = mean([...incumbent]);
  const delta = candidateMean - incumbentMean;
  const improvement = options.direction === "minimize" ? -delta : delta;
  const runs =
    candidate.length > 1 || incumbent.length > 1
      ? `; means of ${candidate.length} vs ${incumbent.length} runs`
      : "";
  const head = `${options.metric} ${formatNumber(candidateMean)} vs ${formatNumber(incumbentMean)} (${formatSigned(delta)}${runs})`;
  const statistics: Record<string, number> = {
    candidateMean,
    incumbentMean,
    candidateCount: candidate.length,
    incumbentCount: incumbent.length,
    improvement,
    minImprovement: options.minImprovement,
  };
  if (candidate.length > 1) statistics.candidateSd = sampleStandardDeviation([...candidate]);
  if (incumbent.length > 1) statistics.incumbentSd = sampleStandardDeviation([...incumbent]);
  return { candidateMean, incumbentMean, delta, improvement, head, statistics };
}

function noSamples(
  candidate: readonly number[],
  incumbent: readonly number[],
  options: RuleOptions,
  rule: string,
) {
  const missing = candidate.length === 0 ? "candidate" : "incumbent";
  return {
    better: false,
    delta: Number.NaN,
    rule,
    reason: `${options.metric}: no ${missing} measurement to compare (${candidate.length} vs ${incumbent.length} runs): discarded`,
  } satisfies Comparison;
}

function thresholdVerdict(summary: Summary, minImprovement: number): { better: boolean; verdict: string } {
  const { improvement } = summary;
  if (Number.isNaN(improvement)) return { better: false, verdict: "not a number: discarded" };
  if (improvement === 0) return { better: false, verdict: "no change: discarded" };
  if (improvement < 0) return { better: false, verdict: "worse: discarded" };
  if (improvement < minImprovement) {
    return {
      better: false,
      verdict: `improvement ${formatNumber(improvement)} < minimum ${formatNumber(minImprovement)}: discarded`,
    };
  }
  return { better: true, verdict: "kept" };
}

/**
 * Better when the mean improves in the right direction, by at least `minImprovement` (strictly, when that is 0).
 * Blind to noise: a lucky seed counts as an improvement.
 */
export function compareByThreshold(
  candidate: readonly number[],
  incumbent: readonly number[],
  options: RuleOptions,
  note = "",
): Comparison {
  if (candidate.length === 0 || incumbent.length === 0)
    return noSamples(candidate, incumbent, options, "threshold");
  const summary = summarize(candidate, incumbent, options);
  const { better, verdict } = thresholdVerdict(summary, options.minImprovement);
  return {
    better,
    delta: summary.delta,
    rule: "threshold",
    reason: `${summary.head}${verdict === "kept" ? ": kept" : `, ${verdict}`}${note}`,
    statistics: summary.statistics,
  };
}

/**
 * A one-sided Welch t-test: better when the improvement is significant at `alpha` and at least `minImprovement`.
 * With fewer than 2 runs on either side there is no variance to test against, so it falls back to the threshold
 * rule and says so in the reason.
 */
export function compareByWelch(
  candidate: readonly number[],
  incumbent: readonly number[],
  options: RuleOptions & { alpha: number },
): Comparison {
  if (candidate.length < 2 || incumbent.length < 2) {
    if (candidate.length === 0 || incumbent.length === 0)
      return noSamples(candidate, incumbent, options, "welch-t");
    return compareByThreshold(
      candidate,
      incumbent,
      options,
      ` (threshold rule: welch-t needs 2 runs on each side, got ${candidate.length} vs ${incumbent.length})`,
    );
  }
  const summary = summarize(candidate, incumbent, options);
  const { alpha, minImprovement } = options;
  const candidateTerm = sampleVariance([...candidate]) / candidate.length;
  const incumbentTerm = sampleVariance([...incumbent]) / incumbent.length;
  const standardError = Math.sqrt(candidateTerm + incumbentTerm);
  const statistics: Record<string, number> = { ...summary.statistics, alpha };
  let p: number;
  if (standardError === 0 || !Number.isFinite(standardError)) {
    // No spread at all: any difference is certain, none is not.
    p = summary.improvement > 0 ? 0 : 1;
  } else {
    // t measures the improvement, so the one-sided p-value is the upper tail whatever the direction.
    const t = summary.improvement / standardError;
    const df =
      (candidateTerm + incumbentTerm) ** 2 /
      (candidateTerm ** 2 / (candidate.length - 1) + incumbentTerm ** 2 / (incumbent.length - 1));
    p = studentTCdf(-t, df);
    statistics.t = summary.delta / standardError;
    statistics.df = df;
  }
  statistics.p = p;
  const significant = p < alpha;
  const enough = summary.improvement > 0 && summary.improvement >= minImprovement;
  const better = significant && enough;
  let verdict: string;
  const test = `p=${formatP(p)} ${significant ? "<" : ">="} ${formatNumber(alpha)}`;
  if (better) verdict = `${test}: kept`;
  else if (!significant) verdict = `${test}: discarded`;
  else {
    verdict = `${test} but improvement ${formatNumber(summary.improvement)} < minimum ${formatNumber(minImprovement)}: discarded`;
  }
  return { better, delta: summary.delta, rule: "welch-t", reason: `${summary.head}, ${verdict}`, statistics };
}

export interface NoiseRuleOptions extends RuleOptions {
  /** The sd of the metric over repeated runs of the unchanged code; 0 for a deterministic target. */
  noiseFloor: number | undefined;
  /** How many runs the noise floor comes from (its degrees of freedom are one less); default 2. */
  noiseRuns: number | undefined;
  /** Fresh runs of both sides made to confirm a candidate that passed the screen (see `compareByNoise`). */
  confirmation: { candidate: readonly number[]; incumbent: readonly number[] } | undefined;
  /** How unlikely a noise-only run must be to pass the screen; default 0.05. */
  screenLevel: number;
  /** The confirmation test's level; default 0.005. */
  alpha: number;
}

function sumOfSquares(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const average = mean([...values]);
  return values.reduce((sum, value) => sum + (value - average) ** 2, 0);
}

/**
 * The noise-aware rule, decided against the measured noise floor σ (the sd of the baseline's repeated runs):
 *
 * - **deterministic** (σ = 0: repeated runs agree exactly): any improvement of at least `minImprovement`;
 * - **screen** (one run of the candidate): worth confirming when it beats the incumbent's mean by more than noise
 *   alone would with probability `screenLevel` (a one-sided t prediction bound, `t · σ · √(1/n_c + 1/n_i)`);
 * - **confirm** (fresh runs of the candidate and of the incumbent, made after the screen, with the same seeds):
 *   kept when a one-sided pooled t-test on those fresh runs alone, with σ's degrees of freedom pooled in, gives
 *   p < `alpha`, and the improvement is at least `minImprovement`. The screening run is left out of the test, so
 *   being selected by the screen cannot bias it.
 *
 * Without a noise floor (the baseline ran once) it is the threshold rule, and is recorded as that rule.
 */
export function compareByNoise(
  candidate: readonly number[],
  incumbent: readonly number[],
  options: NoiseRuleOptions,
): Comparison {
  const { noiseFloor } = options;
  if (noiseFloor === undefined || !Number.isFinite(noiseFloor)) {
    return compareByThreshold(candidate, incumbent, options);
  }
  if (noiseFloor === 0) {
    const comparison = compareByThreshold(
      candidate,
      incumbent,
      options,
      " (deterministic: repeated runs of the baseline agree exactly)",
    );
    return { ...comparison, rule: "noise", statistics: { ...comparison.statistics, noiseFloor } };
  }
  if (candidate.length === 0 || incumbent.length === 0)
    return noSamples(candidate, incumbent, options, "noise");
  const summary = summarize(candidate, incumbent, options);
  const noiseDf = Math.max(1, (options.noiseRuns ?? 2) - 1);
  const sigmas = (value: number) => `${formatNumber(value / noiseFloor)}σ`;
  const statistics: Record<string, number> = { ...summary.statistics, noiseFloor, noiseDf };
  const confirmation = options.confirmation;
  if (
    confirmation === undefined ||
    confirmation.candidate.length === 0 ||
    confirmation.incumbent.length === 0
  ) {
    const t = studentTQuantile(1 - options.screenLevel, noiseDf);
    const bound = t * noiseFloor * Math.sqrt(1 / candidate.length + 1 / incumbent.length);
    const needed = Math.max(bound, options.minImprovement);
    statistics.screenBound = bound;
    const passes = summary.improvement > 0 && summary.improvement >= needed;
    const verdict = passes
      ? `beyond the noise (${sigmas(summary.improvement)} >= ${sigmas(needed)}): to confirm`
      : summary.improvement <= 0
        ? "worse: discarded"
        : `within the noise (${sigmas(summary.improvement)} < ${sigmas(needed)}): discarded`;
    return {
      better: passes,
      delta: summary.delta,
      rule: "noise",
      reason: `${summary.head}, ${verdict}`,
      statistics,
    };
  }
  const fresh = confirmation;
  const freshCandidate = mean([...fresh.candidate]);
  const freshIncumbent = mean([...fresh.incumbent]);
  const improvement =
    options.direction === "minimize" ? freshIncumbent - freshCandidate : freshCandidate - freshIncumbent;
  const df = noiseDf + Math.max(0, fresh.candidate.length - 1) + Math.max(0, fresh.incumbent.length - 1);
  const pooled = Math.sqrt(
    (noiseDf * noiseFloor ** 2 + sumOfSquares(fresh.candidate) + sumOfSquares(fresh.incumbent)) / df,
  );
  const standardError = pooled * Math.sqrt(1 / fresh.candidate.length + 1 / fresh.incumbent.length);
  const t =
    standardError === 0 ? (improvement > 0 ? Number.POSITIVE_INFINITY : 0) : improvement / standardError;
  const p = 1 - studentTCdf(t, df);
  Object.assign(statistics, {
    freshImprovement: improvement,
    pooledSd: pooled,
    t,
    df,
    p,
    alpha: options.alpha,
  });
  const significant = p < options.alpha;
  const enough = improvement > 0 && improvement >= options.minImprovement;
  const better = significant && enough;
  const test = `confirmed on ${fresh.candidate.length} fresh runs each: ${formatSigned(options.direction === "minimize" ? -improvement : improvement)}, p=${formatP(p)} ${significant ? "<" : ">="} ${formatNumber(options.alpha)}`;
  const verdict = better
    ? `${test}: kept`
    : significant
      ? `${test} but improvement ${formatNumber(improvement)} < minimum ${formatNumber(options.minImprovement)}: discarded`
      : `${test}: discarded`;
  return { better, delta: summary.delta, rule: "noise", reason: `${summary.head}, ${verdict}`, statistics };
}
