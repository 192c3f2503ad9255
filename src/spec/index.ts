export type {
  ResearchEvent,
  ResearchState,
  ResearchSummary,
  StopCondition,
  StopReason,
} from "./events.js";
export type { AppendOptions, Ledger } from "./ledger.js";
export type { Mutator, Proposal, ProposeOptions, RepairRequest, Scope } from "./mutator.js";
export type { CompareOptions, Direction, MeasureOptions, Objective } from "./objective.js";
export type {
  CaseScores,
  Comparison,
  Decision,
  FinalEvaluation,
  FinalEvaluationSide,
  Measurement,
  RunResult,
  TokenUsage,
  TrialKind,
  TrialRecord,
  TrialStatus,
} from "./records.js";
export type { Runner, RunOptions } from "./runner.js";
