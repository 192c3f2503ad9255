import type {
  CaseScores,
  Comparison,
  Curve,
  Measurement,
  RunResult,
  TrialRecord,
  TrialStatus,
} from "../spec/records.js";
import type { InFlightTrial } from "./in-flight.js";

/** One run of a trial, as measured: the runner's result, the objective's reading, and what went wrong if anything. */
export interface RunOutcome {
  result: RunResult;
  measurement: Measurement;
  failure: { status: TrialStatus; reason: string } | undefined;
  /** The run's learning curve, when the objective reads progress. */
  curve: Curve;
}

/** What evaluating a candidate produced: its runs, the decision, and the figures the record keeps. */
export interface Evaluation {
  status: TrialStatus;
  reason: string;
  samples: number[];
  incumbentSamples: number[];
  /** The candidate's last run, the one whose metrics and log the record shows. */
  last: RunOutcome | undefined;
  comparison?: Comparison;
  holdout?: TrialRecord["holdout"];
  /** Every run's duration, summed: the trial's compute time. */
  runMs: number;
  /** The candidate's per-case scores over all its runs, when the objective measures cases. */
  cases?: CaseScores | undefined;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** At most this many points of a curve go into the ledger; longer ones keep evenly spaced points and the last. */
const maxCurvePoints = 200;

export function downsampleCurve(curve: Curve): Curve {
  if (curve.length <= maxCurvePoints) return curve;
  const step = curve.length / (maxCurvePoints - 1);
  const kept: Curve = [];
  for (let index = 0; index < maxCurvePoints - 1; index++)
    kept.push(curve[Math.floor(index * step)] as Curve[number]);
  kept.push(curve.at(-1) as Curve[number]);
  return kept;
}

/** The log's path as the ledger holds it: relative to the state directory. */
export function relativeLog(logFile: string): string {
  return `logs/${logFile.split(/[\\/]/).pop()}`;
}

export interface BuildRecordOptions {
  tag: string;
  trial: InFlightTrial;
  /** Absent when nothing was run (an invalid proposal, an interrupted proposal). */
  evaluation?: Evaluation | undefined;
  status: TrialStatus;
  reason: string;
  proposeMs: number;
  /** Milliseconds since the epoch, now. */
  now: number;
  extra?: Partial<TrialRecord>;
}

/** The one place a trial record is assembled, whatever ended the trial. */
export function buildTrialRecord(options: BuildRecordOptions): TrialRecord {
  const { trial, evaluation, now } = options;
  const last = evaluation?.last;
  const samples = evaluation?.samples ?? [];
  const curve = last?.curve ?? [];
  return {
    id: trial.id,
    tag: options.tag,
    kind: trial.kind,
    ...(trial.repairOf === undefined ? {} : { repairOf: trial.repairOf }),
    ...(trial.rebaseOf === undefined ? {} : { rebaseOf: trial.rebaseOf }),
    ...(trial.slot === undefined ? {} : { slot: trial.slot }),
    parent: trial.parent,
    commit: trial.commit,
    description: trial.description,
    status: options.status,
    reason: options.reason,
    metric: samples.length > 0 ? mean(samples) : null,
    metrics: last?.measurement.metrics ?? {},
    ...(samples.length > 1 ? { samples } : {}),
    ...(evaluation !== undefined && evaluation.incumbentSamples.length > 0
      ? { incumbentSamples: evaluation.incumbentSamples }
      : {}),
    ...(evaluation?.comparison === undefined ? {} : { comparison: evaluation.comparison }),
    ...(evaluation?.holdout === undefined ? {} : { holdout: evaluation.holdout }),
    ...(evaluation?.cases === undefined ? {} : { cases: evaluation.cases }),
    changedFiles: trial.changedFiles,
    run:
      last === undefined
        ? null
        : {
            exitCode: last.result.exitCode,
            signal: last.result.signal,
            timedOut: last.result.timedOut,
            durationMs: last.result.durationMs,
            // Queue time and the job, for runners that go through a scheduler.
            ...(last.result.queuedMs === undefined ? {} : { queuedMs: last.result.queuedMs }),
            ...(last.result.job === undefined ? {} : { job: last.result.job }),
          },
    log: last === undefined ? null : relativeLog(last.result.logFile),
    ...(curve.length > 0 ? { curve: downsampleCurve(curve) } : {}),
    proposer: trial.proposer,
    durations: {
      proposeMs: options.proposeMs,
      runMs: evaluation?.runMs ?? 0,
      totalMs: Math.max(0, now - Date.parse(trial.startedAt) || 0),
    },
    startedAt: trial.startedAt,
    endedAt: new Date(now).toISOString(),
    ...options.extra,
  };
}
