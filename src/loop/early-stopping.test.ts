import { describe, expect, it } from "vitest";
import type { Curve } from "../spec/records.js";
import { shouldStopEarly, valueAt } from "./early-stopping.js";

const rule = { minProgress: 10, rule: "median" as const, margin: 0, minCurves: 1 };
const line = (start: number, slope: number, steps = 100): Curve =>
  Array.from({ length: steps }, (_, index) => [index + 1, start - slope * (index + 1)]);

describe("valueAt", () => {
  it("reads the last point at or before a progress, and nothing before the curve starts", () => {
    const curve: Curve = [
      [10, 3],
      [20, 2],
      [30, 1],
    ];
    expect(valueAt(curve, 25)).toBe(2);
    expect(valueAt(curve, 30)).toBe(1);
    expect(valueAt(curve, 5)).toBeUndefined();
  });
});

describe("shouldStopEarly (median rule)", () => {
  const kept = [line(5, 0.01), line(5.2, 0.01), line(4.9, 0.012)];

  it("stops a run worse than the median of the kept curves at the same progress", () => {
    // At step 50 the kept values are 4.5, 4.7 and 4.3: median 4.5.
    expect(shouldStopEarly(rule, "minimize", kept, { progress: 50, value: 4.6 })).toBe(
      "median of 3 kept curves 4.5",
    );
    expect(shouldStopEarly(rule, "minimize", kept, { progress: 50, value: 4.4 })).toBeUndefined();
  });

  it("never stops before the minimum progress, without enough curves, or within the margin", () => {
    expect(shouldStopEarly(rule, "minimize", kept, { progress: 9, value: 99 })).toBeUndefined();
    expect(
      shouldStopEarly({ ...rule, minCurves: 4 }, "minimize", kept, { progress: 50, value: 99 }),
    ).toBeUndefined();
    expect(
      shouldStopEarly({ ...rule, margin: 0.05 }, "minimize", kept, { progress: 50, value: 4.7 }),
    ).toBeUndefined();
    // A kept curve that ended before this progress is no reference for it.
    expect(
      shouldStopEarly(rule, "minimize", [line(5, 0.01, 20)], { progress: 50, value: 99 }),
    ).toBeUndefined();
  });

  it("reads worse the other way round when maximizing", () => {
    const accuracy = [line(0.5, -0.001)];
    expect(shouldStopEarly(rule, "maximize", accuracy, { progress: 50, value: 0.54 })).toBeDefined();
    expect(shouldStopEarly(rule, "maximize", accuracy, { progress: 50, value: 0.56 })).toBeUndefined();
  });
});
