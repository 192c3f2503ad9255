import type { Proposal, RepairRequest } from "./mutator.js";
import type { FinalEvaluation, Measurement, RunResult, TrialKind, TrialRecord } from "./records.js";

/** How a research session ended. */
export type StopReason =
  | "trial-count"
  | "wall-time"
  | "stalled"
  | "target-reached"
  | "cost"
  | "compute"
  | "aborted"
  | "exhausted"
  | "baseline-failed"
  | "proposal-failures"
  | (string & {});

/** What the loop knows at any point; stop conditions read it. */
export interface ResearchState {
  tag: string;
  /** Every record, resumed ones included. */
  records: readonly TrialRecord[];
  /** Records made in this session only. */
  sessionRecords: readonly TrialRecord[];
  /** The incumbent: the last kept trial (or the baseline). */
  best: TrialRecord | undefined;
  baseline: TrialRecord | undefined;
  /** Milliseconds since this session started. */
  elapsedMs: number;
  /** Total proposer cost in USD over all records. */
  costUsd: number;
  /** Compute time: every run's duration, summed over all records and slots (slot-milliseconds). */
  computeMs: number;
  /** Trials proposed or running right now, not yet recorded. */
  inFlight: number;
  /** Trials since the last keep. */
  sinceImprovement: number;
  direction: "minimize" | "maximize";
}

/** A stop condition: return a reason to stop, or `false` to go on. */
export type StopCondition = (state: ResearchState) => StopReason | false;

export interface ResearchSummary {
  tag: string;
  /** The researched directory. */
  directory: string;
  /** The branch holding the incumbent. */
  branch: string;
  baseline: TrialRecord | undefined;
  best: TrialRecord | undefined;
  /** Which way is better, as the objective said. */
  direction?: "minimize" | "maximize";
  records: TrialRecord[];
  /** Trials recorded in this session, the baseline included when it was measured in this session. */
  trials: number;
  /** Kept trials of this session, the baseline not counted. */
  kept: number;
  /** Slots that ran trials in parallel. */
  slots: number;
  /** Compute time of this session's runs, summed over slots. */
  computeMs: number;
  stopReason: StopReason;
  ledgerFile: string;
  durationMs: number;
  /** The sealed test's figures, when a `finalEvaluation` was configured and ran (or was reused) at the end. */
  finalEvaluation?: FinalEvaluation;
}

/** The events `streamResearch` yields, in order. */
export type ResearchEvent =
  | {
      type: "research-start";
      tag: string;
      directory: string;
      branch: string;
      /** Records found in the ledger: more than zero means the research resumed. */
      resumed: number;
      warnings: string[];
      /** How many trials run at once; the loop always sets it. */
      slots?: number;
    }
  | {
      type: "trial-start";
      trial: number;
      kind: TrialKind;
      parent: string;
      repair?: RepairRequest;
      /** The slot that will run it; absent while it is proposed ahead of a free slot. */
      slot?: number;
    }
  | { type: "proposal-end"; trial: number; proposal: Proposal; changedFiles: string[]; durationMs: number }
  | {
      type: "run-start";
      trial: number;
      sample: number;
      of: number;
      role: "candidate" | "incumbent" | "holdout";
      /** The slot (0-based) the run happens in; the loop always sets it. */
      slot?: number;
    }
  | { type: "run-line"; trial: number; line: string; slot?: number }
  /** A progress point the objective read from the output (`readProgress`): one point of the run's curve. */
  | { type: "run-progress"; trial: number; slot?: number; progress: number; value: number }
  | { type: "run-end"; trial: number; result: RunResult; measurement: Measurement; slot?: number }
  | { type: "trial-end"; record: TrialRecord; best: TrialRecord | undefined }
  | { type: "final-evaluation-start"; best: number; baseline: number }
  | { type: "final-evaluation-end"; finalEvaluation: FinalEvaluation }
  | { type: "research-end"; summary: ResearchSummary };
