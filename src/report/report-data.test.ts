import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { TrialRecord, TrialStatus } from "../spec/records.js";
import { buildReportData, describeTrials, inferDirection, inferMetricName } from "./report-data.js";

function record(
  id: number,
  status: TrialStatus,
  metric: number | null,
  extra: Partial<TrialRecord> = {},
): TrialRecord {
  return {
    id,
    tag: "t",
    kind: id === 0 ? "baseline" : "proposal",
    parent: "p".repeat(40),
    commit: id === 0 ? null : String(id).repeat(40).slice(0, 40),
    description: id === 0 ? "baseline" : `idea ${id}`,
    status,
    reason: "",
    metric,
    metrics: metric === null ? {} : { accuracy: metric, latency_ms: 12 },
    changedFiles: [],
    run: { exitCode: metric === null ? 1 : 0, signal: null, timedOut: false, durationMs: 1000 },
    log: null,
    proposer: { name: "test" },
    durations: { proposeMs: 100, runMs: 1000, totalMs: 1100 },
    startedAt: new Date(Date.UTC(2025, 0, 1, 0, id)).toISOString(),
    endedAt: new Date(Date.UTC(2025, 0, 1, 0, id, 30)).toISOString(),
    ...extra,
  };
}

describe("the kept gain against the noise", () => {
  const baseline = (sd: number) =>
    record(0, "keep", 0.5, {
      samples: [0.49, 0.5, 0.51, 0.5, 0.5],
      comparison: { better: false, delta: 0, reason: "", rule: "baseline", statistics: { mean: 0.5, sd } },
    });

  it("says a gain under two standard errors is within the noise, and a larger one is not", () => {
    // se = 0.01 · √(1/5 + 1/1) ≈ 0.011: a gain of 0.015 is 1.5σ, under 2 se.
    const small = buildReportData([baseline(0.01), record(1, "keep", 0.515)], { direction: "maximize" });
    expect(small.noise).toMatchObject({ withinNoise: true });
    expect(small.noise?.sigmas).toBeCloseTo(1.5, 9);
    const large = buildReportData([baseline(0.01), record(1, "keep", 0.6)], { direction: "maximize" });
    expect(large.noise).toMatchObject({ withinNoise: false });
  });

  it("says nothing for a deterministic target or when nothing was kept", () => {
    expect(buildReportData([baseline(0), record(1, "keep", 0.6)]).noise).toBeUndefined();
    expect(buildReportData([baseline(0.01), record(1, "discard", 0.6)]).noise).toBeUndefined();
  });
});

describe("buildReportData with trials recorded out of order (parallel slots)", () => {
  it("follows the ledger's order for the running best, and measures each trial against its own parent", () => {
    const first = record(0, "keep", 0.5, { commit: "a".repeat(40) });
    // Trial 2 finished first and was kept; trial 1, measured on the baseline, finished later.
    const second = record(2, "keep", 0.6, { parent: "a".repeat(40), commit: "b".repeat(40) });
    const late = record(1, "discard", 0.55, { parent: "a".repeat(40) });
    const data = buildReportData([first, second, late], { direction: "maximize" });
    expect(data.rows.map((row) => row.id)).toEqual([0, 1, 2]);
    expect(data.rows[1]?.incumbentMetric).toBe(0.5);
    expect(data.rows[1]?.delta).toBeCloseTo(0.05, 9);
    expect(data.best?.id).toBe(2);
  });
});

describe("buildReportData", () => {
  const records = [
    record(0, "keep", 0.5),
    record(1, "discard", 0.48),
    record(2, "keep", 0.6, {
      proposer: { name: "llm", usage: { inputTokens: 1000, outputTokens: 50 }, costUsd: 0.01 },
    }),
    record(3, "crash", null),
    record(4, "keep", 0.7, {
      proposer: { name: "llm", usage: { inputTokens: 500, outputTokens: 20 }, costUsd: 0.02 },
    }),
    record(5, "timeout", null),
  ];

  it("computes deltas against the incumbent at the time and the running best", () => {
    const data = buildReportData(records);
    expect(data.rows.map((row) => row.incumbentMetric)).toEqual([null, 0.5, 0.5, 0.6, 0.6, 0.7]);
    expect(data.rows[1]?.delta).toBeCloseTo(-0.02);
    expect(data.rows[4]?.delta).toBeCloseTo(0.1);
    expect(data.rows[3]?.delta).toBeNull();
    expect(data.rows.map((row) => row.bestAfter)).toEqual([0.5, 0.5, 0.6, 0.6, 0.7, 0.7]);
  });

  it("summarises baseline, best, rates, time, tokens and cost", () => {
    const data = buildReportData(records);
    expect(data.metric).toBe("accuracy");
    expect(data.direction).toBe("maximize");
    expect(data.baseline).toEqual({ id: 0, metric: 0.5, status: "keep", reason: "" });
    expect(data.best).toEqual({ id: 4, metric: 0.7, description: "idea 4" });
    expect(data.improvement?.absolute).toBeCloseTo(0.2);
    expect(data.improvement?.relative).toBeCloseTo(0.4);
    expect(data.trials).toBe(6);
    expect(data.proposals).toBe(5);
    expect(describeTrials(data)).toBe(
      "6 trials, the baseline included: 2 kept, 1 discarded, 1 crashed, 1 timed out",
    );
    expect(data.keepRate).toBeCloseTo(2 / 5);
    expect(data.crashRate).toBeCloseTo(2 / 5);
    expect(data.counts).toMatchObject({ keep: 2, discard: 1, crash: 1, timeout: 1 });
    expect(data.wallTimeMs).toBe(5 * 60_000 + 30_000);
    expect(data.computeTimeMs).toBe(6000);
    expect(data.tokens).toEqual({ input: 1500, output: 70, cachedInput: 0, total: 1570 });
    expect(data.costUsd).toBeCloseTo(0.03);
  });

  it("counts a crashed baseline and failed proposals as what they are", () => {
    const crashed = record(0, "crash", null, { reason: "baseline crash: exited with code 127" });
    expect(describeTrials(buildReportData([crashed]))).toBe("1 trial: the baseline crashed");
    const data = buildReportData([
      crashed,
      record(1, "keep", 0.5, { kind: "baseline", reason: "baseline" }),
      record(2, "invalid", null, { reason: "proposal failed: The model call failed: HTTP 401", run: null }),
      record(3, "invalid", null, { reason: "the proposal changed nothing", run: null }),
    ]);
    expect(data.baseline).toMatchObject({ id: 1, status: "keep" });
    expect(data.failedProposals).toBe(1);
    expect(data.rows.map((row) => row.label)).toEqual(["baseline crash", "baseline", "failed", "invalid"]);
    expect(data.rows[0]?.reason).toBe("exited with code 127");
    expect(describeTrials(data)).toBe(
      "4 trials, the baseline included: 1 failed baseline before, 1 failed proposal, 1 invalid",
    );
  });

  it("leaves tokens and cost null when no proposer reported them", () => {
    const data = buildReportData([record(0, "keep", 1), record(1, "discard", 2)]);
    expect(data.tokens).toBeNull();
    expect(data.costUsd).toBeNull();
  });

  it("takes the metric and direction given over the inferred ones", () => {
    const data = buildReportData(records, { metric: "score", direction: "minimize" });
    expect(data.metric).toBe("score");
    expect(data.direction).toBe("minimize");
  });

  it("rejects bad options with a message naming the field", () => {
    expect(() => buildReportData(records, { direction: "down" as "minimize" })).toThrow(ConfigurationError);
    expect(() => buildReportData(records, { direction: "down" as "minimize" })).toThrow(/`direction`/);
  });
});

describe("inference", () => {
  it("finds the metric among several by the recorded value", () => {
    expect(inferMetricName([record(0, "keep", 0.5)])).toBe("accuracy");
    expect(inferMetricName([record(1, "crash", null)])).toBeUndefined();
  });

  it("reads the direction from kept comparisons, else from kept metrics against the baseline", () => {
    expect(inferDirection([record(0, "keep", 1), record(1, "keep", 0.9)])).toBe("minimize");
    expect(
      inferDirection([
        record(0, "keep", 1),
        record(1, "keep", 0.9, {
          comparison: { better: true, delta: 0.1, reason: "", rule: "min-improvement" },
        }),
      ]),
    ).toBe("maximize");
    expect(inferDirection([record(0, "keep", 1), record(1, "discard", 0.9)])).toBeUndefined();
  });
});
