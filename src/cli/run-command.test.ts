import { describe, expect, it } from "vitest";
import type { ResearchSummary } from "../spec/events.js";
import { exitCodeOf, runnerTimeoutMs } from "./run-command.js";

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

describe("the run timeout shown by the progress bar", () => {
  it("is read from a command, Slurm or promptfoo runner of a config, and is absent for runner objects", () => {
    expect(runnerTimeoutMs({ command: "python train.py", timeoutMs: 60_000 })).toBe(60_000);
    expect(runnerTimeoutMs({ slurm: { command: "python train.py", timeoutMs: 420_000 } })).toBe(420_000);
    expect(runnerTimeoutMs({ promptfoo: { config: "promptfooconfig.yaml", timeoutMs: 90_000 } })).toBe(
      90_000,
    );
    expect(runnerTimeoutMs({ name: "mine", run: async () => ({}) })).toBeUndefined();
    expect(runnerTimeoutMs(undefined)).toBeUndefined();
  });
});
