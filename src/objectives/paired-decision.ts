import type { Direction } from "../spec/objective.js";
import type { CaseScores, Comparison } from "../spec/records.js";
import { formatNumber } from "./decision-rules.js";
import { bootstrapMeanTest, exactBinomialUpperTail, pairedTTest, passHatK } from "./paired-statistics.js";

/** Which test pairs the cases: `auto` takes the exact test for pass/fail cases and the t-test for scores. */
export type PairedTest = "auto" | "exact" | "t" | "bootstrap";

export interface PairedRuleOptions {
  metric: string;
  direction: Direction;
  minImprovement: number;
  alpha: number;
  test: PairedTest;
  /** Compare pass^k per case (an attempt passes when its value is at least 1) instead of the mean per case. */
  passK?: number | undefined;
  bootstrapSamples: number;
}

// A comparison is recorded with every trial: the flipped cases are listed up to this many each way.
const maxListedFlips = 200;

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function formatP(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function formatSigned(value: number): string {
  return value > 0 ? `+${formatNumber(value)}` : formatNumber(value);
}

/** One number per case and side: the mean of its attempts, or its pass^k estimate. */
function perCase(attempts: readonly number[], passK: number | undefined): number | undefined {
  if (passK === undefined) return mean(attempts);
  return passHatK(attempts.filter((value) => value >= 1).length, attempts.length, passK);
}

/**
 * Compares candidate and incumbent case by case, on the cases both measured. Pass/fail cases go to an exact
 * one-sided sign test on the pairs that flipped (McNemar's exact test); scores to a paired t-test or a paired
 * bootstrap. Kept when the test says better at `alpha` and the mean improvement per case is at least
 * `minImprovement`. `undefined` when the two sides share no case.
 */
export function compareCasesPaired(
  candidateCases: CaseScores,
  incumbentCases: CaseScores,
  options: PairedRuleOptions,
): Comparison | undefined {
  const candidateIds = Object.keys(candidateCases).filter((id) => (candidateCases[id]?.length ?? 0) > 0);
  const incumbentIds = new Set(
    Object.keys(incumbentCases).filter((id) => (incumbentCases[id]?.length ?? 0) > 0),
  );
  const common = candidateIds.filter((id) => incumbentIds.has(id)).sort();
  if (common.length === 0) return undefined;
  const unpaired = candidateIds.length + incumbentIds.size - 2 * common.length;

  const notes: string[] = [];
  let passK = options.passK;
  if (passK !== undefined) {
    const fewest = Math.min(
      ...common.flatMap((id) => [candidateCases[id]?.length ?? 0, incumbentCases[id]?.length ?? 0]),
    );
    if (fewest < passK) {
      notes.push(`pass^${passK} needs ${passK} attempts per case, got ${fewest}: compared pass rates`);
      passK = undefined;
    }
  }
  const candidate = common.map((id) => perCase(candidateCases[id] ?? [], passK) as number);
  const incumbent = common.map((id) => perCase(incumbentCases[id] ?? [], passK) as number);
  const sign = options.direction === "minimize" ? -1 : 1;
  const differences = candidate.map((value, index) => sign * (value - (incumbent[index] as number)));
  const improved = common.filter((_, index) => (differences[index] as number) > 0);
  const regressed = common.filter((_, index) => (differences[index] as number) < 0);

  const binary = [...candidate, ...incumbent].every((value) => value === 0 || value === 1);
  let test = options.test === "auto" ? (binary ? "exact" : "t") : options.test;
  if (test === "exact" && !binary) {
    notes.push("the exact test needs pass/fail cases: used the paired t-test");
    test = "t";
  }

  const candidateMean = mean(candidate);
  const incumbentMean = mean(incumbent);
  const improvement = mean(differences);
  const statistics: Record<string, number> = {
    candidateMean,
    incumbentMean,
    improvement,
    minImprovement: options.minImprovement,
    alpha: options.alpha,
    pairedCases: common.length,
    improvedCases: improved.length,
    regressedCases: regressed.length,
    unpairedCases: unpaired,
  };
  if (passK !== undefined) statistics.passK = passK;
  let p: number;
  let testText: string;
  if (test === "exact") {
    p = exactBinomialUpperTail(improved.length, improved.length + regressed.length);
    testText = `exact p=${formatP(p)}`;
  } else if (test === "bootstrap") {
    const result = bootstrapMeanTest(differences, { samples: options.bootstrapSamples, seed: common.length });
    p = result.p;
    statistics.bootstrapSamples = result.samples;
    statistics.lower = result.lower;
    testText = `bootstrap p=${formatP(p)}`;
  } else {
    const result = pairedTTest(differences);
    p = result.p;
    statistics.sd = result.sd;
    statistics.df = result.df;
    if (result.t !== undefined) statistics.t = result.t;
    testText = `paired t p=${formatP(p)}`;
  }
  statistics.p = p;

  const significant = p < options.alpha;
  const enough = improvement > 0 && improvement >= options.minImprovement;
  const better = significant && enough;
  const name = passK === undefined ? options.metric : `pass^${passK}`;
  const head =
    `${name} ${formatNumber(candidateMean)} vs ${formatNumber(incumbentMean)} ` +
    `(${formatSigned(candidateMean - incumbentMean)}) on ${common.length} paired cases: ` +
    `${improved.length} better, ${regressed.length} worse`;
  const test_ = `${testText} ${significant ? "<" : ">="} ${formatNumber(options.alpha)}`;
  let verdict: string;
  if (better) verdict = `${test_}: kept`;
  else if (!significant) verdict = `${test_}: discarded`;
  else {
    verdict = `${test_} but improvement ${formatNumber(improvement)} < minimum ${formatNumber(options.minImprovement)}: discarded`;
  }
  const note = notes.length === 0 ? "" : ` (${notes.join("; ")})`;
  return {
    better,
    delta: candidateMean - incumbentMean,
    rule: `paired-${test}`,
    reason: `${head}; ${verdict}${note}`,
    statistics,
    flips: { improved: improved.slice(0, maxListedFlips), regressed: regressed.slice(0, maxListedFlips) },
  };
}
