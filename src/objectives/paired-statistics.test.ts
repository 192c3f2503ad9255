import { describe, expect, it } from "vitest";
import { bootstrapMeanTest, exactBinomialUpperTail, pairedTTest, passHatK } from "./paired-statistics.js";

describe("exactBinomialUpperTail", () => {
  it("matches the binomial tail computed by hand", () => {
    // P(X >= 6 | n = 10): (210 + 120 + 45 + 10 + 1) / 1024.
    expect(exactBinomialUpperTail(6, 10)).toBeCloseTo(386 / 1024, 12);
    expect(exactBinomialUpperTail(12, 12)).toBeCloseTo(1 / 4096, 12);
    expect(exactBinomialUpperTail(0, 5)).toBe(1);
    expect(exactBinomialUpperTail(0, 0)).toBe(1);
  });

  it("stays accurate for many pairs", () => {
    // Exact sums of binomial coefficients, computed in integers.
    expect(exactBinomialUpperTail(60, 100)).toBeCloseTo(0.028443966820490395, 10);
    expect(exactBinomialUpperTail(530, 1000)).toBeCloseTo(0.03101159754918159, 10);
  });
});

describe("pairedTTest", () => {
  it("computes t and a one-sided p for the mean difference", () => {
    const result = pairedTTest([1, 2, 3, 4]);
    expect(result.mean).toBe(2.5);
    expect(result.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(result.t).toBeCloseTo(2.5 / (Math.sqrt(5 / 3) / 2), 10);
    expect(result.df).toBe(3);
    // t = 3.873 on 3 df: one-sided p ≈ 0.0152.
    expect(result.p).toBeCloseTo(0.0152, 3);
  });

  it("is certain of a constant positive difference and of nothing else", () => {
    expect(pairedTTest([0.1, 0.1, 0.1]).p).toBe(0);
    expect(pairedTTest([0, 0, 0]).p).toBe(1);
    expect(pairedTTest([0.5]).p).toBe(1);
  });
});

describe("bootstrapMeanTest", () => {
  it("gives the same answer for the same seed, and a small p only for a consistent improvement", () => {
    const consistent = Array.from({ length: 40 }, (_, index) => 0.05 + (index % 5) * 0.01);
    const noise = Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? 0.3 : -0.29));
    const first = bootstrapMeanTest(consistent, { samples: 2000, seed: 7 });
    expect(bootstrapMeanTest(consistent, { samples: 2000, seed: 7 })).toEqual(first);
    expect(first.p).toBeLessThan(0.01);
    expect(first.lower).toBeGreaterThan(0);
    expect(bootstrapMeanTest(noise, { samples: 2000, seed: 7 }).p).toBeGreaterThan(0.2);
  });
});

describe("passHatK", () => {
  it("estimates the chance that k attempts all pass", () => {
    expect(passHatK(3, 3, 3)).toBe(1);
    expect(passHatK(2, 3, 3)).toBe(0);
    expect(passHatK(3, 4, 2)).toBeCloseTo(3 / 6, 12);
    expect(passHatK(5, 5, 1)).toBeCloseTo(1, 12);
    expect(passHatK(1, 1, 2)).toBeUndefined();
  });
});
