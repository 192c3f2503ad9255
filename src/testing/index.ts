export { MockLedger } from "./mock-ledger.js";
export { type MockEdit, MockMutator } from "./mock-mutator.js";
export { MockObjective } from "./mock-objective.js";
export { type MockRun, MockRunner } from "./mock-runner.js";
export { createProposeOptions } from "./propose-options.js";
export { createTrialRecord } from "./trial-record.js";
export type { Scripted } from "./values.js";
