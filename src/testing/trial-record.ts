import type { TrialRecord } from "../spec/records.js";

/**
 * A complete trial record with neutral values, for tests of mutators, reports or ledgers: pass only the fields
 * that matter to the test.
 */
export function createTrialRecord(overrides: Partial<TrialRecord> & { id: number }): TrialRecord {
  return {
    tag: "test",
    kind: overrides.id === 0 ? "baseline" : "proposal",
    parent: "0".repeat(40),
    commit: null,
    description: "",
    status: "discard",
    reason: "",
    metric: null,
    metrics: {},
    changedFiles: [],
    run: null,
    log: null,
    proposer: { name: "test" },
    durations: { proposeMs: 0, runMs: 0, totalMs: 0 },
    startedAt: "",
    endedAt: "",
    ...overrides,
  };
}
