/**
 * Tests on paired per-case results: an exact sign test for pass/fail cases (McNemar's exact test on the
 * discordant pairs), a paired t-test and a paired bootstrap for scores, and the pass^k estimate. All one-sided:
 * they ask whether the candidate is better, never merely different.
 */
import { createRandom } from "../random.js";
import { logGamma, studentTCdf } from "./student-t.js";

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/**
 * P(X ≥ `successes`) for X ~ Binomial(`trials`, 1/2): the one-sided p-value of McNemar's exact test, with
 * `successes` the pairs that flipped the candidate's way among `trials` discordant pairs.
 */
export function exactBinomialUpperTail(successes: number, trials: number): number {
  if (trials === 0 || successes <= 0) return 1;
  if (successes > trials) return 0;
  const logHalf = trials * Math.log(2);
  let p = 0;
  for (let index = successes; index <= trials; index++) p += Math.exp(logChoose(trials, index) - logHalf);
  return Math.min(1, p);
}

export interface PairedTTest {
  mean: number;
  sd: number;
  standardError: number;
  /** `undefined` when there is no spread (every difference equal). */
  t: number | undefined;
  df: number;
  /** One-sided: the probability of a mean difference this large if the true one were 0. */
  p: number;
}

/** A one-sided paired t-test on `differences` (candidate minus incumbent, oriented so that larger is better). */
export function pairedTTest(differences: readonly number[]): PairedTTest {
  const n = differences.length;
  const mean = differences.reduce((sum, value) => sum + value, 0) / n;
  const sd =
    n > 1 ? Math.sqrt(differences.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1)) : 0;
  const standardError = sd / Math.sqrt(n);
  const df = n - 1;
  if (n < 2 || standardError === 0) {
    // No spread: a difference seen on every case is certain, none at all is not.
    return { mean, sd, standardError, t: undefined, df, p: n >= 2 && mean > 0 ? 0 : 1 };
  }
  const t = mean / standardError;
  return { mean, sd, standardError, t, df, p: 1 - studentTCdf(t, df) };
}

export interface BootstrapTest {
  mean: number;
  /** The fraction of resampled means at or below zero (with the usual +1 correction): a one-sided p-value. */
  p: number;
  /** The 5th percentile of the resampled means: the lower end of a one-sided 95% interval. */
  lower: number;
  samples: number;
}

/**
 * A paired bootstrap: resamples the cases with replacement and looks at how often the mean difference is not
 * positive. Seeded, so the same cases always give the same decision.
 */
export function bootstrapMeanTest(
  differences: readonly number[],
  options: { samples: number; seed: number },
): BootstrapTest {
  const n = differences.length;
  const mean = differences.reduce((sum, value) => sum + value, 0) / n;
  const random = createRandom(options.seed);
  const means = new Float64Array(options.samples);
  let notPositive = 0;
  for (let sample = 0; sample < options.samples; sample++) {
    let sum = 0;
    for (let draw = 0; draw < n; draw++) sum += differences[Math.floor(random() * n)] as number;
    const resampled = sum / n;
    means[sample] = resampled;
    if (resampled <= 0) notPositive++;
  }
  means.sort();
  const lower = means[Math.floor(0.05 * (options.samples - 1))] ?? mean;
  return { mean, p: (notPositive + 1) / (options.samples + 1), lower, samples: options.samples };
}

/**
 * The unbiased estimate of pass^k, the chance that k attempts at a case all pass, from `passes` of `attempts`:
 * C(passes, k) / C(attempts, k). `undefined` with fewer than k attempts.
 */
export function passHatK(passes: number, attempts: number, k: number): number | undefined {
  if (attempts < k) return undefined;
  if (passes < k) return 0;
  return Math.exp(logChoose(passes, k) - logChoose(attempts, k));
}
