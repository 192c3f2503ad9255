import { describe, expect, it } from "vitest";
import { createMetricObjective } from "../src/objectives/metric-objective.js";
import { createRandom, normalSample } from "../src/random.js";

describe("compare with the threshold rule", () => {
  const objective = createMetricObjective({ metric: "val_bpb", direction: "minimize" });

  it("keeps any strict improvement in the right direction", () => {
    const kept = objective.compare({ candidate: [0.9712], incumbent: [0.9791] });
    expect(kept.better).toBe(true);
    expect(kept.rule).toBe("threshold");
    expect(kept.delta).toBeCloseTo(-0.0079, 12);
    expect(kept.reason).toBe("val_bpb 0.9712 vs 0.9791 (-0.0079): kept");

    const same = objective.compare({ candidate: [0.9791], incumbent: [0.9791] });
    expect(same.better).toBe(false);
    expect(same.reason).toBe("val_bpb 0.9791 vs 0.9791 (0), no change: discarded");

    const worse = objective.compare({ candidate: [0.98], incumbent: [0.9791] });
    expect(worse.better).toBe(false);
    expect(worse.reason).toBe("val_bpb 0.98 vs 0.9791 (+0.0009), worse: discarded");
  });

  it("follows the direction when maximizing", () => {
    const accuracy = createMetricObjective({ metric: "accuracy", direction: "maximize" });
    expect(accuracy.compare({ candidate: [0.8], incumbent: [0.7] }).better).toBe(true);
    expect(accuracy.compare({ candidate: [0.6], incumbent: [0.7] }).better).toBe(false);
  });

  it("requires at least minImprovement, compared on the means", () => {
    const strict = createMetricObjective({ metric: "val_bpb", direction: "minimize", minImprovement: 0.001 });
    const small = strict.compare({ candidate: [0.9785], incumbent: [0.9791] });
    expect(small.better).toBe(false);
    expect(small.reason).toBe(
      "val_bpb 0.9785 vs 0.9791 (-0.0006), improvement 0.0006 < minimum 0.001: discarded",
    );
    expect(strict.compare({ candidate: [0.977, 0.979], incumbent: [0.9791, 0.9791] }).better).toBe(true);
    expect(strict.compare({ candidate: [0.9781], incumbent: [0.9791] }).better).toBe(true);
  });

  it("keeps nothing without samples", () => {
    const none = objective.compare({ candidate: [], incumbent: [0.9] });
    expect(none.better).toBe(false);
    expect(none.reason).toContain("no candidate measurement");
  });
});

describe("compare with the welch rule", () => {
  const objective = createMetricObjective({
    metric: "val_bpb",
    direction: "minimize",
    decision: { rule: "welch" },
  });

  it("computes t, df and the one-sided p-value like scipy's ttest_ind(equal_var=False)", () => {
    // scipy.stats.ttest_ind([0.971, 0.975, 0.969, 0.980], [0.979, 0.983, 0.978], equal_var=False, alternative="less")
    // -> statistic -2.178723351652966, df 4.732571659673425, p 0.042161811626880784
    const comparison = objective.compare({
      candidate: [0.971, 0.975, 0.969, 0.98],
      incumbent: [0.979, 0.983, 0.978],
    });
    expect(comparison.rule).toBe("welch-t");
    expect(comparison.statistics?.t).toBeCloseTo(-2.178723351652966, 9);
    expect(comparison.statistics?.df).toBeCloseTo(4.732571659673425, 9);
    expect(comparison.statistics?.p).toBeCloseTo(0.042161811626880784, 9);
    expect(comparison.statistics?.candidateSd).toBeCloseTo(0.004856267428111159, 12);
    expect(comparison.better).toBe(true);
    expect(comparison.reason).toBe(
      "val_bpb 0.97375 vs 0.98 (-0.00625; means of 4 vs 3 runs), p=0.042 < 0.05: kept",
    );

    // The same question the other way round: the candidate is worse, so the p-value is near 1.
    const maximize = createMetricObjective({
      metric: "x",
      direction: "maximize",
      decision: { rule: "welch" },
    });
    const reverse = maximize.compare({
      candidate: [0.971, 0.975, 0.969, 0.98],
      incumbent: [0.979, 0.983, 0.978],
    });
    expect(reverse.statistics?.p).toBeCloseTo(1 - 0.042161811626880784, 9);
    expect(reverse.better).toBe(false);
  });

  it("discards an improvement that is not significant, or significant but too small", () => {
    const noisy = objective.compare({ candidate: [0.97, 0.99, 0.975], incumbent: [0.98, 0.972, 0.985] });
    expect(noisy.better).toBe(false);
    expect(noisy.reason).toMatch(/p=0\.\d+ >= 0\.05: discarded$/);

    const strict = createMetricObjective({
      metric: "val_bpb",
      direction: "minimize",
      minImprovement: 0.01,
      decision: { rule: "welch", alpha: 0.01 },
    });
    // scipy: t -9.797958971132712, df 4, p 0.00030409247223166805
    const tiny = strict.compare({ candidate: [0.971, 0.972, 0.97], incumbent: [0.979, 0.98, 0.978] });
    expect(tiny.statistics?.p).toBeCloseTo(0.00030409247223166805, 10);
    expect(tiny.better).toBe(false);
    expect(tiny.reason).toBe(
      "val_bpb 0.971 vs 0.979 (-0.008; means of 3 vs 3 runs), p=0.0003 < 0.01 but improvement 0.008 < minimum 0.01: discarded",
    );
  });

  it("handles samples without any spread", () => {
    expect(objective.compare({ candidate: [0.9, 0.9], incumbent: [1, 1] }).better).toBe(true);
    const equal = objective.compare({ candidate: [1, 1], incumbent: [1, 1] });
    expect(equal.better).toBe(false);
    expect(equal.statistics?.p).toBe(1);
  });

  it("falls back to the threshold rule with a single run on either side, and says so", () => {
    const single = objective.compare({ candidate: [0.97], incumbent: [0.979, 0.98] });
    expect(single.better).toBe(true);
    expect(single.rule).toBe("threshold");
    expect(single.reason).toContain("threshold rule: welch-t needs 2 runs on each side, got 1 vs 2");
  });
});

describe("noise", () => {
  it("keeps few or no changes that are pure noise with the welch rule, many with the naive threshold", () => {
    const random = createRandom(20240607);
    const sd = 0.002;
    const sample = () => [0, 1, 2].map(() => normalSample(random, 0.98, sd));
    // Each candidate meets its own 3 runs of the incumbent, so that one lucky incumbent draw does not decide all 50.
    const pairs = Array.from({ length: 50 }, () => ({ candidate: sample(), incumbent: sample() }));

    const naive = createMetricObjective({ metric: "val_bpb", direction: "minimize" });
    const welch = createMetricObjective({
      metric: "val_bpb",
      direction: "minimize",
      minImprovement: sd / 2,
      decision: { rule: "welch", alpha: 0.05 },
    });
    const keptByThreshold = pairs.filter((pair) => naive.compare(pair).better).length;
    const keptByWelch = pairs.filter((pair) => welch.compare(pair).better).length;
    console.log(
      `pure noise, 50 candidates x 3 runs: threshold kept ${keptByThreshold}, welch kept ${keptByWelch}`,
    );

    expect(keptByThreshold).toBeGreaterThanOrEqual(15);
    expect(keptByWelch).toBeLessThanOrEqual(5);
  });
});

describe("compare with the default, noise-aware rule", () => {
  const objective = createMetricObjective({ metric: "val_bpb", direction: "minimize" });

  it("is the default, tells the loop it wants a noise floor, and is plain threshold without one", () => {
    expect(objective.noiseAware).toBe(true);
    const without = objective.compare({ candidate: [0.9712], incumbent: [0.9791] });
    expect(without).toMatchObject({ better: true, rule: "threshold" });
    expect(
      createMetricObjective({ metric: "x", direction: "minimize", decision: { rule: "threshold" } })
        .noiseAware,
    ).toBe(false);
  });

  it("keeps any strict improvement of a deterministic target (noise floor 0)", () => {
    const kept = objective.compare({
      candidate: [0.979],
      incumbent: [0.9791, 0.9791],
      noiseFloor: 0,
      noiseRuns: 2,
    });
    expect(kept.better).toBe(true);
    expect(kept.rule).toBe("noise");
    expect(kept.reason).toContain("deterministic");
  });

  it("screens one run against a t prediction bound of the noise floor", () => {
    // sd 0.002 from 5 runs (4 df): one run must beat the mean of 5 by t(0.95, 4)·0.002·√(1 + 1/5) ≈ 0.00467.
    const incumbent = [0.98, 0.979, 0.981, 0.98, 0.98];
    const near = objective.compare({ candidate: [0.976], incumbent, noiseFloor: 0.002, noiseRuns: 5 });
    expect(near.better).toBe(false);
    expect(near.reason).toMatch(/within the noise \(2σ < 2\.33\d*σ\): discarded/);
    const far = objective.compare({ candidate: [0.975], incumbent, noiseFloor: 0.002, noiseRuns: 5 });
    expect(far.better).toBe(true);
    expect(far.reason).toContain("beyond the noise");
    expect(far.reason).toContain("to confirm");
    expect(far.statistics?.screenBound).toBeCloseTo(2.131847 * 0.002 * Math.sqrt(1.2), 6);
  });

  it("decides a confirmed candidate on the fresh runs alone, with the noise floor's degrees of freedom pooled in", () => {
    const screened = [0.97];
    const incumbent = [0.98, 0.979, 0.981, 0.98, 0.98];
    // A consistent gain of about 5σ on fresh runs of both sides: kept.
    const real = objective.compare({
      candidate: [...screened, 0.9702, 0.9699, 0.9705],
      incumbent,
      noiseFloor: 0.002,
      noiseRuns: 5,
      confirmation: { candidate: [0.9702, 0.9699, 0.9705], incumbent: [0.9801, 0.9795, 0.9803] },
    });
    expect(real.better).toBe(true);
    expect(real.reason).toMatch(/confirmed on 3 fresh runs each: -0\.00976667, p=.* < 0\.005: kept/);
    // pooled sd² = (4·0.002² + SS_c + SS_i) / (4 + 2 + 2); t = improvement / (sd·√(2/3)).
    const statistics = real.statistics ?? {};
    expect(statistics.df).toBe(8);
    // The lucky screening run alone does not carry it: the fresh runs show no gain, so it is discarded.
    const lucky = objective.compare({
      candidate: [...screened, 0.9801, 0.9795, 0.9799],
      incumbent,
      noiseFloor: 0.002,
      noiseRuns: 5,
      confirmation: { candidate: [0.9801, 0.9795, 0.9799], incumbent: [0.98, 0.9797, 0.9801] },
    });
    expect(lucky.better).toBe(false);
    expect(lucky.reason).toMatch(/: discarded$/);
  });

  it("stays available as Karpathy's strictly-better rule by name", () => {
    const strict = createMetricObjective({
      metric: "val_bpb",
      direction: "minimize",
      decision: { rule: "strictly-better" },
      minImprovement: 0.1,
    });
    const kept = strict.compare({ candidate: [0.97909], incumbent: [0.9791], noiseFloor: 0.01 });
    expect(kept).toMatchObject({ better: true, rule: "strictly-better" });
  });
});
