import { describe, expect, it } from "vitest";
import type { ResearchSummary } from "../spec/events.js";
import { exitCodeOf } from "./run-command.js";

const summary = (stopReason: string) => ({ stopReason }) as ResearchSummary;

describe("the exit code of a research", () => {
  it("is 0 for a normal stop, 130 after Ctrl-C, 1 when the research could not go on", () => {
    expect(exitCodeOf(summary("trial-count"))).toBe(0);
    expect(exitCodeOf(summary("exhausted"))).toBe(0);
    expect(exitCodeOf(summary("aborted"))).toBe(130);
    expect(exitCodeOf(summary("baseline-failed"))).toBe(1);
    expect(exitCodeOf(summary("proposal-failures"))).toBe(1);
  });
});
