import { describe, expect, it } from "vitest";
import {
  formatCost,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  truncate,
} from "./format-values.js";

describe("format values", () => {
  it("shows metrics with about four significant digits", () => {
    expect(formatMetric(0.97123)).toBe("0.9712");
    expect(formatMetric(97.123)).toBe("97.12");
    expect(formatMetric(12345.6)).toBe("12346");
    expect(formatMetric(null)).toBe("-");
  });

  it("signs deltas and percentages", () => {
    expect(formatDelta(-0.0079, 4)).toBe("-0.0079");
    expect(formatDelta(0.01, 4)).toBe("+0.0100");
    expect(formatDelta(0.00001, 4)).toBe("±0.0000");
    expect(formatPercent(-0.0396)).toBe("-3.96%");
    expect(formatPercent(0.25)).toBe("+25.0%");
  });

  it("shows durations at a useful resolution", () => {
    expect(formatDuration(850)).toBe("850ms");
    expect(formatDuration(12_340)).toBe("12.3s");
    expect(formatDuration(307_000)).toBe("5m 07s");
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe("2h 03m");
  });

  it("keeps small costs readable and cuts long text", () => {
    expect(formatCost(0.0491)).toBe("$0.0491");
    expect(formatCost(12.234)).toBe("$12.23");
    expect(truncate("a\nlong   description here", 12)).toBe("a long desc…");
    expect(truncate("short", 12)).toBe("short");
  });
});
