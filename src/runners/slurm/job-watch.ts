import type { JobPoller } from "./job-poller.js";
import { baseState, isFinalState, isWaitingState } from "./job-state.js";
import type { QueueEntry, SlurmCommands } from "./slurm-commands.js";

/** Why the runner stops a job itself. */
export type StopReason = "timeout" | "abort" | "callback";

export interface JobWatchOptions {
  jobId: string;
  commands: SlurmCommands;
  poller: JobPoller;
  /** The run's limit, counted from the job's start. */
  timeoutMs?: number | undefined;
  killGraceMs: number;
  /** A line for the run's log, saying what the runner did. */
  note: (text: string) => void;
}

/** What the watch saw of a job, from its submission to its end. */
export interface WatchEnd {
  /** The job's last queue entry in a final state; missing when the job was lost. */
  final?: QueueEntry;
  /** The last entry seen, whatever its state. */
  last?: QueueEntry;
  /** Why the job's end could not be seen. */
  lost?: string;
  /** When the job was first seen running (`performance.now()`); missing when it was never seen running. */
  runningSince?: number;
  endedAt: number;
  stopReason?: StopReason;
}

export interface JobWatch {
  /** Cancels the job: a pending one leaves the queue; a running one gets SIGTERM, then a cancel after the grace. */
  stop(reason: StopReason): void;
  /** Settles once the job is in a final state (not completing any more), or lost. */
  readonly done: Promise<WatchEnd>;
}

// Without an answer from the controller for this long, the run gives up on its job (it records it as lost).
const lostContactMs = 10 * 60_000;
// Once stopping, a controller that does not answer is waited for this long only.
const lostContactWhileStoppingMs = 30_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Follows one job through the scheduler until it ends, enforcing the run's timeout from the moment the job is
 * seen running (time in the queue does not count) and cancelling it on request.
 */
export function watchJob(options: JobWatchOptions): JobWatch {
  const { jobId, commands, poller } = options;
  let stopReason: StopReason | undefined;
  let last: QueueEntry | undefined;
  let runningSince: number | undefined;
  let finished = false;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  const cancellations: Promise<unknown>[] = [];

  function stop(reason: StopReason): void {
    if (stopReason !== undefined || finished) return;
    stopReason = reason;
    if (reason === "timeout") {
      options.note(`[autoresearch: timed out after ${options.timeoutMs} ms; cancelling Slurm job ${jobId}]`);
    } else if (reason === "abort") {
      options.note(`[autoresearch: the research was aborted; cancelling Slurm job ${jobId}]`);
    }
    const started = runningSince !== undefined || (last !== undefined && !isWaitingState(last.state));
    if (!started || reason === "callback") {
      // Nothing to be graceful with: a pending job only leaves the queue.
      cancellations.push(commands.cancel([jobId]));
      return;
    }
    // SIGTERM first, so the experiment may end on its own terms; then Slurm's cancel, which ends in SIGKILL.
    cancellations.push(commands.cancel([jobId], "TERM"));
    killTimer = setTimeout(() => {
      if (!finished) cancellations.push(commands.cancel([jobId]));
    }, options.killGraceMs);
  }

  async function follow(): Promise<WatchEnd> {
    let final: QueueEntry | undefined;
    let lost: string | undefined;
    let contactLostAt: number | undefined;
    while (final === undefined && lost === undefined) {
      const observation = await poller.next(jobId);
      const now = performance.now();
      if (observation.kind === "error") {
        contactLostAt ??= now;
        const patience = stopReason === undefined ? lostContactMs : lostContactWhileStoppingMs;
        if (now - contactLostAt > patience) {
          lost = `the Slurm controller did not answer for ${seconds(now - contactLostAt)}: ${observation.error}`;
        }
        continue;
      }
      contactLostAt = undefined;
      if (observation.kind === "gone") {
        lost = `Slurm job ${jobId} left the scheduler's list before its end was seen`;
        continue;
      }
      last = observation.entry;
      const state = baseState(last.state);
      if (isFinalState(state)) final = last;
      else if (runningSince === undefined && !isWaitingState(state)) {
        runningSince = now;
        if (options.timeoutMs !== undefined)
          timeoutTimer = setTimeout(() => stop("timeout"), options.timeoutMs);
      }
    }
    const endedAt = performance.now();
    finished = true;
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    await Promise.all(cancellations);
    return {
      endedAt,
      ...(final === undefined ? {} : { final }),
      ...(last === undefined ? {} : { last }),
      ...(lost === undefined ? {} : { lost }),
      ...(runningSince === undefined ? {} : { runningSince }),
      ...(stopReason === undefined ? {} : { stopReason }),
    };
  }

  return { stop, done: follow() };
}
