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
export {
  createLlmMutator,
  type LlmMutatorOptions,
  llmMutatorOptionsSchema,
  type OpenAICompatibleEndpoint,
} from "./mutators/llm-mutator.js";
export { createMutatorFromLlmConfig, type MutatorConfig } from "./mutators/llm-config.js";
export { type AgentMutatorOptions, createAgentMutator, parseAgentOutput } from "./mutators/agent-mutator.js";
export { type AgentPreset, type AgentPresetName, agentPresets } from "./mutators/agent-presets.js";
export {
  buildProposalPrompt,
  defaultPromptLimits,
  type PromptLimits,
  type ProposalPrompt,
  type ProposalPromptInput,
  type TrialDiff,
} from "./mutators/prompt-builder.js";
export { type Instructions, prepareProposalPrompt } from "./mutators/prompt-context.js";
export {
  type CostEstimate,
  defaultModelPrices,
  type EstimateCostOptions,
  estimateCost,
  estimateCostUsd,
  type ModelPrice,
} from "./mutators/pricing.js";
export type { LlmModelSpec, RetrySettings } from "./mutators/llm-model.js";
