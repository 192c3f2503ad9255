import { mean, sampleStandardDeviation, sampleVariance } from "simple-statistics";
import type { Direction } from "../spec/objective.js";
import type { Comparison } from "../spec/records.js";
import { studentTCdf } from "./student-t.js";

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
