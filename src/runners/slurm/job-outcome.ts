import type { RunResult } from "../../spec/records.js";
import { baseState, describeJobEnd, isFinalState } from "./job-state.js";
import type { WatchEnd } from "./job-watch.js";
import type { SlurmCommands } from "./slurm-commands.js";

export interface JobOutcomeOptions {
  jobId: string;
  commands: SlurmCommands;
  watched: WatchEnd;
  submittedAt: number;
  /** What the job asked for, to name the limit it hit. */
  requested: { time?: string | undefined; mem?: string | undefined };
  /** Whether any of the job's output reached the driver, and where it was expected. */
  output: { seen: boolean; file: string };
}

export interface JobOutcome {
  fields: Pick<RunResult, "exitCode" | "signal" | "timedOut" | "interrupted" | "durationMs" | "queuedMs"> &
    Pick<RunResult, "job" | "failure">;
  /** One line for the log: how the job ended and how long it waited. */
  note: string;
  /**
   * The job may still run: nobody saw it end and the cancel failed (the controller did not answer). It stays
   * among the jobs cancelled when the driver exits.
   */
  mayStillRun: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The run's result fields from what the watch saw and what the scheduler remembers of the job (scontrol, or
 * accounting when the job is gone from the controller's memory): exit code and signal, the scheduler's verdict,
 * and the time in the queue kept apart from the time running.
 */
export async function jobOutcome(options: JobOutcomeOptions): Promise<JobOutcome> {
  const { jobId, watched } = options;
  const record = await options.commands.jobRecord(jobId);
  const lost = record !== undefined && isFinalState(record.state) ? undefined : watched.lost;
  let mayStillRun = false;
  if (watched.final === undefined && (record === undefined || !isFinalState(record.state))) {
    // Not finished as far as anyone knows (also when the controller no longer answers), and no longer watched:
    // it must not run on unseen.
    mayStillRun = !(await options.commands.cancel([jobId])).ok;
  }

  // Timings from the watch where it saw the start; else from the scheduler's clock (whole seconds).
  let durationMs = 0;
  let queuedMs = watched.endedAt - options.submittedAt;
  if (watched.runningSince !== undefined) {
    durationMs = watched.endedAt - watched.runningSince;
    queuedMs = watched.runningSince - options.submittedAt;
  } else if (record?.startTime !== undefined) {
    durationMs = Math.max(0, (record.endTime ?? record.startTime) - record.startTime);
    queuedMs = Math.max(0, record.startTime - (record.submitTime ?? record.startTime));
  }

  const state = record?.state ?? watched.final?.state ?? watched.last?.state ?? "UNKNOWN";
  const nodes = record?.nodes ?? watched.final?.nodes ?? watched.last?.nodes;
  const fields: JobOutcome["fields"] = {
    exitCode: null,
    signal: null,
    timedOut: watched.stopReason === "timeout",
    interrupted: watched.stopReason === "abort",
    durationMs: Math.round(durationMs),
    queuedMs: Math.round(Math.max(0, queuedMs)),
    job: { id: jobId, state: baseState(state), ...(nodes ? { nodes } : {}) },
  };
  if (lost !== undefined) {
    fields.failure = { kind: "lost", reason: lost };
  } else {
    const end = describeJobEnd({
      jobId,
      state,
      exit: record?.exit,
      reason: record?.reason ?? watched.final?.reason,
      nodes,
      requested: options.requested,
    });
    fields.exitCode = end.exitCode;
    fields.signal = end.signal;
    // What the runner stopped itself is a timeout or an interruption, whatever Slurm calls it.
    if (watched.stopReason === undefined) {
      fields.timedOut = end.timedOut;
      if (end.failure !== undefined) {
        const hint =
          !options.output.seen && end.failure.kind === "failed"
            ? `; no output reached ${options.output.file}: is the repository on a file system the compute nodes share?`
            : "";
        fields.failure = { ...end.failure, reason: `${end.failure.reason}${hint}` };
      }
    }
  }
  const ended = fields.failure?.reason ?? `ended ${baseState(state)}`;
  return {
    fields,
    note: `[autoresearch: Slurm job ${jobId} ${ended}; it waited ${seconds(fields.queuedMs ?? 0)} in the queue${mayStillRun ? "; the cancel failed: it is cancelled again when the research exits" : ""}]`,
    mayStillRun,
  };
}
