export type {
  ResearchEvent,
  ResearchState,
  ResearchSummary,
  StopCondition,
  StopReason,
} from "./events.js";
export type { AppendOptions, Ledger } from "./ledger.js";
export type { Mutator, Proposal, ProposeOptions, RepairRequest, RunningTrial, Scope } from "./mutator.js";
export type { CompareOptions, Direction, MeasureOptions, Objective } from "./objective.js";
export type { Preflight, PreflightOptions, PreflightResult } from "./preflight.js";
export type {
  CaseScores,
  Comparison,
  Curve,
  Decision,
  FinalEvaluation,
  FinalEvaluationSide,
  Measurement,
  RunFailureKind,
  RunJob,
  RunResult,
  TokenUsage,
  TrialKind,
  TrialRecord,
  TrialStatus,
} from "./records.js";
export type {
  RecoverOptions,
  RecoverResult,
  Runner,
  RunOptions,
  RunStartInfo,
} from "./runner.js";
export type { SandboxMount, SandboxPolicy } from "./sandbox.js";
