export { defineLedger, defineMutator, defineObjective, defineRunner } from "./define-role.js";
export {
  AutoresearchError,
  ConfigurationError,
  LedgerError,
  LockedError,
  WorkspaceError,
} from "./errors/index.js";
export { createJsonlLedger, type JsonlLedgerOptions, readLedgerFile } from "./ledgers/jsonl-ledger.js";
export { formatResultsRow, resultsHeader } from "./ledgers/results-tsv.js";
export { runResearch, streamResearch } from "./loop/research.js";
export type { ResearchOptions, RunResearchOptions } from "./loop/research-options.js";
export {
  isCostOver,
  isStalled,
  isTargetReached,
  isTrialCount,
  isWallTimeOver,
} from "./loop/stop-conditions.js";
export type * from "./spec/index.js";
export { createSearchSpaceMutator } from "./mutators/search-space-mutator.js";
export type { SearchSpaceMutatorOptions, SearchSpacePoint } from "./mutators/search-space-mutator.js";
export type { ParameterValue as SearchSpaceValue, SearchSpaceFormat } from "./mutators/search-space-files.js";
export type { PlainSearchSpace, SearchSpaceParameter } from "./mutators/search-space-parameters.js";
export { createPatchQueueMutator } from "./mutators/patch-queue-mutator.js";
export type { PatchFunction, PatchQueueMutatorOptions } from "./mutators/patch-queue-mutator.js";
