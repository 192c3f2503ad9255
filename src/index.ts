export {
  type AblatedChange,
  type AblateOptions,
  type AblationMeasurement,
  type AblationResult,
  runAblation,
} from "./ablation/ablate.js";
export type { Contribution } from "./ablation/contribution.js";
export { defineConfig, type ResearchConfig } from "./config/config-schema.js";
export { findConfigFile, loadConfig } from "./config/load-config.js";
export { resolveConfig, stopConditions } from "./config/resolve-config.js";
export { defineLedger, defineMutator, defineObjective, defineRunner } from "./define-role.js";
export {
  AutoresearchError,
  ConfigurationError,
  LedgerError,
  LockedError,
  ResearchStateError,
  WorkspaceError,
} from "./errors/index.js";
export { createJsonlLedger, type JsonlLedgerOptions, readLedgerFile } from "./ledgers/jsonl-ledger.js";
export {
  type ResearchDescription,
  readResearchDescription,
} from "./ledgers/research-description.js";
export { formatResultsRow, resultsHeader } from "./ledgers/results-tsv.js";
export { runResearch, streamResearch } from "./loop/research.js";
export type { ResearchOptions, RunResearchOptions } from "./loop/research-options.js";
export {
  isComputeOver,
  isCostOver,
  isStalled,
  isTargetReached,
  isTrialCount,
  isWallTimeOver,
} from "./loop/stop-conditions.js";
export { type AgentMutatorOptions, createAgentMutator, parseAgentOutput } from "./mutators/agent-mutator.js";
export type { AgentOutputFormat } from "./mutators/agent-output.js";
export {
  type AgentInvocation,
  type AgentInvocationSettings,
  type AgentPreset,
  type AgentPresetName,
  agentPresets,
} from "./mutators/agent-presets.js";
export { createMutatorFromLlmConfig, type MutatorConfig } from "./mutators/llm-config.js";
export type { LlmModelSpec, RetrySettings } from "./mutators/llm-model.js";
export {
  createLlmMutator,
  type LlmMutatorOptions,
  llmMutatorOptionsSchema,
  type OpenAICompatibleEndpoint,
} from "./mutators/llm-mutator.js";
export type { PatchFunction, PatchQueueMutatorOptions } from "./mutators/patch-queue-mutator.js";
export { createPatchQueueMutator } from "./mutators/patch-queue-mutator.js";
export {
  type CostEstimate,
  defaultModelPrices,
  type EstimateCostOptions,
  estimateCost,
  estimateCostUsd,
  type ModelPrice,
} from "./mutators/pricing.js";
export {
  buildProposalPrompt,
  defaultPromptLimits,
  type PromptLimits,
  type ProposalPrompt,
  type ProposalPromptInput,
  type TrialDiff,
} from "./mutators/prompt-builder.js";
export { type Instructions, prepareProposalPrompt } from "./mutators/prompt-context.js";
export type { ParameterValue as SearchSpaceValue, SearchSpaceFormat } from "./mutators/search-space-files.js";
export type { SearchSpaceMutatorOptions, SearchSpacePoint } from "./mutators/search-space-mutator.js";
export { createSearchSpaceMutator } from "./mutators/search-space-mutator.js";
export type { PlainSearchSpace, SearchSpaceParameter } from "./mutators/search-space-parameters.js";
// Eval suites (promptfoo, Inspect AI, a per-case file) and their per-case decisions.
export { type CaseFileObjectiveOptions, createCaseFileObjective } from "./objectives/case-file-objective.js";
export { createInspectObjective, type InspectObjectiveOptions } from "./objectives/inspect-objective.js";
export { createMetricObjective, type MetricObjectiveOptions } from "./objectives/metric-objective.js";
export {
  createPromptfooObjective,
  type PromptfooObjectiveOptions,
} from "./objectives/promptfoo-objective.js";
export { formatAblation } from "./report/ablation-text.js";
export { formatFinalEvaluation } from "./report/evaluation-text.js";
export {
  buildProgressChartSpec,
  type ProgressChartOptions,
  renderProgressChart,
} from "./report/progress-chart.js";
export {
  createProgressRenderer,
  formatTrialLine,
  type ProgressRenderer,
  type ProgressRendererOptions,
} from "./report/progress-renderer.js";
export {
  type FormatStatusOptions,
  formatStatusTable,
  type LockHolder,
  type ReadStatusOptions,
  type ResearchStatus,
  readStatus,
  type TagSummary,
} from "./report/read-status.js";
export { type HtmlReportOptions, renderHtmlReport } from "./report/render-html.js";
export { renderJsonReport } from "./report/render-json.js";
export { type MarkdownReportOptions, renderMarkdownReport } from "./report/render-markdown.js";
export {
  buildReportData,
  inferDirection,
  inferMetricName,
  type ReportData,
  type ReportDataOptions,
  type ReportRow,
} from "./report/report-data.js";
export { type ReadTrialDiffsOptions, readTrialDiffs } from "./report/trial-diffs.js";
export { type WriteReportOptions, type WriteReportResult, writeReport } from "./report/write-report.js";
export { type CommandRunnerOptions, createCommandRunner, runIdVariable } from "./runners/command-runner.js";
export { isProcessGroupAlive, killProcessGroup } from "./runners/process-group.js";
export { createPromptfooRunner, type PromptfooRunnerOptions } from "./runners/promptfoo-runner.js";
export { createSlurmRunner } from "./runners/slurm/slurm-runner.js";
export type { SbatchOptions, SlurmRunnerOptions } from "./runners/slurm/slurm-runner-options.js";
export { type BubblewrapSupport, detectBubblewrap } from "./sandbox/bubblewrap.js";
export type { SandboxOption, SandboxSettings } from "./sandbox/sandbox-options.js";
export { type WrapCommandOptions, type WrappedCommand, wrapCommand } from "./sandbox/wrap-command.js";
export { collectSecrets, redactSecrets } from "./secrets/secret-values.js";
export type * from "./spec/index.js";
