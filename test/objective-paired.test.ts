import { describe, expect, it } from "vitest";
import type { CaseScores } from "../src/index.js";
import { createCaseFileObjective, createMetricObjective } from "../src/index.js";
import { createRandom, normalSample } from "../src/random.js";

/** Pass/fail cases: `passing` of `total` pass for the incumbent; the candidate flips some each way. */
function passFail(total: number, passing: number, fixed: number, broken: number) {
  const incumbent: CaseScores = {};
  const candidate: CaseScores = {};
  for (let index = 0; index < total; index++) {
    const id = `case-${index}`;
    const passed = index < passing;
    incumbent[id] = [passed ? 1 : 0];
    // Cases [passing, passing + fixed) start passing; the first `broken` ones stop.
    const now = passed ? index >= broken : index < passing + fixed;
    candidate[id] = [now ? 1 : 0];
  }
  const mean = (cases: CaseScores) =>
    Object.values(cases).reduce((sum, [value]) => sum + (value ?? 0), 0) / total;
  return { incumbent, candidate, candidateMean: mean(candidate), incumbentMean: mean(incumbent) };
}

const objective = createCaseFileObjective({ file: "cases.jsonl", metric: "pass_rate" });

describe("the paired per-case rule", () => {
  it("does not keep a higher pass rate that is only noise: 7 cases fixed, 4 broken out of 200", () => {
    const { incumbent, candidate, candidateMean, incumbentMean } = passFail(200, 150, 7, 4);
    expect(candidateMean).toBeGreaterThan(incumbentMean);
    const comparison = objective.compare({
      candidate: [candidateMean],
      incumbent: [incumbentMean],
      candidateCases: candidate,
      incumbentCases: incumbent,
    });
    expect(comparison.rule).toBe("paired-exact");
    expect(comparison.better).toBe(false);
    // P(X >= 7 | 11 flips, 1/2) = 0.274.
    expect(comparison.statistics?.p).toBeCloseTo(562 / 2048, 12);
    expect(comparison.statistics).toMatchObject({ pairedCases: 200, improvedCases: 7, regressedCases: 4 });
    expect(comparison.flips?.improved).toEqual([
      "case-150",
      "case-151",
      "case-152",
      "case-153",
      "case-154",
      "case-155",
      "case-156",
    ]);
    expect(comparison.flips?.regressed).toEqual(["case-0", "case-1", "case-2", "case-3"]);
    expect(comparison.reason).toBe(
      "pass_rate 0.765 vs 0.75 (+0.015) on 200 paired cases: 7 better, 4 worse; exact p=0.27 >= 0.05: discarded",
    );
    // The averages alone would have kept it.
    const naive = createMetricObjective({ metric: "pass_rate", direction: "maximize" });
    expect(naive.compare({ candidate: [candidateMean], incumbent: [incumbentMean] }).better).toBe(true);
  });

  it("keeps a small improvement that holds on every case it touches: 9 fixed, none broken", () => {
    const { incumbent, candidate, candidateMean, incumbentMean } = passFail(200, 150, 9, 0);
    const comparison = objective.compare({
      candidate: [candidateMean],
      incumbent: [incumbentMean],
      candidateCases: candidate,
      incumbentCases: incumbent,
    });
    expect(comparison.better).toBe(true);
    expect(comparison.statistics?.p).toBeCloseTo(1 / 512, 12);
    expect(comparison.delta).toBeCloseTo(0.045, 12);
    expect(comparison.reason).toContain("exact p=0.002 < 0.05: kept");
  });

  it("decides on scores with a paired test: consistent small gains kept, noisy ones not", () => {
    const random = createRandom(11);
    const incumbent: CaseScores = {};
    const consistent: CaseScores = {};
    const noisy: CaseScores = {};
    for (let index = 0; index < 60; index++) {
      const base = 0.3 + 0.6 * random();
      incumbent[`q${index}`] = [base];
      consistent[`q${index}`] = [base + 0.02 + normalSample(random, 0, 0.005)];
      noisy[`q${index}`] = [base + 0.01 + normalSample(random, 0, 0.15)];
    }
    const scores = createCaseFileObjective({ file: "cases.jsonl" });
    const means = (cases: CaseScores) => Object.values(cases).map(([value]) => value as number);
    const kept = scores.compare({
      candidate: [0],
      incumbent: [0],
      candidateCases: consistent,
      incumbentCases: incumbent,
    });
    expect(kept.rule).toBe("paired-t");
    expect(kept.better).toBe(true);
    expect(kept.statistics?.p).toBeLessThan(1e-6);
    // The same numbers as two unpaired samples: the spread between cases hides the gain.
    const unpaired = createMetricObjective({
      metric: "score",
      direction: "maximize",
      decision: { rule: "welch" },
    });
    expect(unpaired.compare({ candidate: means(consistent), incumbent: means(incumbent) }).better).toBe(
      false,
    );

    const rejected = scores.compare({
      candidate: [0],
      incumbent: [0],
      candidateCases: noisy,
      incumbentCases: incumbent,
    });
    expect(rejected.better).toBe(false);
    expect(rejected.statistics?.p).toBeGreaterThan(0.05);

    const bootstrap = createCaseFileObjective({
      file: "cases.jsonl",
      decision: { rule: "paired", test: "bootstrap" },
    });
    const resampled = bootstrap.compare({
      candidate: [0],
      incumbent: [0],
      candidateCases: consistent,
      incumbentCases: incumbent,
    });
    expect(resampled.rule).toBe("paired-bootstrap");
    expect(resampled.better).toBe(true);
    expect(resampled.statistics?.lower).toBeGreaterThan(0);
  });

  it("pairs only the cases both sides ran, and falls back to the averages when there are none", () => {
    const comparison = objective.compare({
      candidate: [0.5],
      incumbent: [0.4],
      candidateCases: { a: [1], b: [1], new: [1] },
      incumbentCases: { a: [0], b: [1], gone: [0] },
    });
    expect(comparison.statistics).toMatchObject({ pairedCases: 2, unpairedCases: 2, improvedCases: 1 });
    const none = objective.compare({
      candidate: [0.5],
      incumbent: [0.4],
      candidateCases: { a: [1] },
      incumbentCases: { b: [0] },
    });
    expect(none.rule).toBe("threshold");
    expect(none.reason).toContain("(paired rule: no case in common; compared the averages)");
    const without = objective.compare({ candidate: [0.5], incumbent: [0.4] });
    expect(without.reason).toContain("no per-case results to pair");
  });

  it("compares pass^k when asked: the candidate that passes every attempt beats a flaky one", () => {
    const flaky: CaseScores = {};
    const steady: CaseScores = {};
    for (let index = 0; index < 12; index++) {
      flaky[`t${index}`] = [1, 0, 1];
      steady[`t${index}`] = [1, 1, 1];
    }
    const passK = createCaseFileObjective({ file: "cases.jsonl", passK: 3 });
    const comparison = passK.compare({
      candidate: [1],
      incumbent: [2 / 3],
      candidateCases: steady,
      incumbentCases: flaky,
    });
    expect(comparison.statistics).toMatchObject({
      passK: 3,
      candidateMean: 1,
      incumbentMean: 0,
      improvedCases: 12,
    });
    expect(comparison.reason).toMatch(/^pass\^3 1 vs 0/);
    expect(comparison.better).toBe(true);
    const tooFew = passK.compare({
      candidate: [1],
      incumbent: [1],
      candidateCases: { a: [1] },
      incumbentCases: { a: [0] },
    });
    expect(tooFew.reason).toContain("pass^3 needs 3 attempts per case, got 1: compared pass rates");
  });

  it("orients the differences for a metric to minimize", () => {
    const errors = createCaseFileObjective({ file: "cases.jsonl", direction: "minimize" });
    const incumbent: CaseScores = {};
    const candidate: CaseScores = {};
    for (let index = 0; index < 10; index++) {
      incumbent[`c${index}`] = [1];
      candidate[`c${index}`] = [index < 8 ? 0 : 1];
    }
    const comparison = errors.compare({
      candidate: [0.2],
      incumbent: [1],
      candidateCases: candidate,
      incumbentCases: incumbent,
    });
    expect(comparison.better).toBe(true);
    expect(comparison.flips?.improved).toHaveLength(8);
    expect(comparison.delta).toBeCloseTo(-0.8, 12);
  });
});

describe("the paired rule and a metric that is not the cases' mean", () => {
  it("compares a cost by its averages, so breaking cases to save money is not read as an improvement", () => {
    const cheap = createCaseFileObjective({
      file: "cases.jsonl",
      metric: "cost.total",
      direction: "minimize",
    });
    const incumbent: CaseScores = {};
    const candidate: CaseScores = {};
    for (let index = 0; index < 10; index++) {
      incumbent[`c${index}`] = [1];
      // The candidate fails 8 cases that passed, and costs a little more.
      candidate[`c${index}`] = [index < 8 ? 0 : 1];
    }
    const comparison = cheap.compare({
      candidate: [1.2],
      incumbent: [1.0],
      candidateCases: candidate,
      incumbentCases: incumbent,
    });
    expect(comparison.better).toBe(false);
    expect(comparison.reason).toContain(
      "`cost.total` is not the mean of the per-case values; compared the averages",
    );
    const cheaper = cheap.compare({
      candidate: [0.5],
      incumbent: [1.0],
      candidateCases: candidate,
      incumbentCases: incumbent,
    });
    expect(cheaper.better).toBe(true);
  });
});
