import type { StopReason } from "../spec/events.js";
import type { TrialRecord } from "../spec/records.js";
import type { Worktree } from "../workspace/workspace.js";
import type { LoopContext, Slot } from "./loop-context.js";
import type { Candidate } from "./propose-trial.js";
import { recordTrial } from "./settle-trial.js";
import { buildTrialRecord } from "./trial-record.js";
import { type Pipeline, proposeCandidate, retryCandidate, runCandidate } from "./trial-sources.js";

export interface ScheduleOptions {
  slots: Slot[];
  /** Worktrees where proposals are prepared ahead of a free slot; as many as `proposeAhead`. */
  lanes: Worktree[];
  /** Interrupted trials of an earlier session whose change is tried again before anything new is proposed. */
  retries: TrialRecord[];
}

/** Why the research stops, from the abort signal and the stop conditions; `undefined` to go on. */
export function checkStop(context: LoopContext): StopReason | undefined {
  if (context.abortSignal.aborted) return "aborted";
  const conditions = context.options.stopWhen === undefined ? [] : [context.options.stopWhen].flat();
  const snapshot = context.state.snapshot();
  for (const condition of conditions) {
    const reason = condition(snapshot);
    if (reason !== false) return reason;
  }
  return undefined;
}

/**
 * The scheduler over slots. Each free slot takes, in order: a candidate waiting to run (proposed ahead, or a
 * change measured again on a new head), an interrupted trial of an earlier session to try again, or a new
 * proposal made in its own worktree. Up to `proposeAhead` more proposals are prepared in lanes of their own while
 * the slots run, so a slot that finishes starts its next run at once. Decisions, records and branch moves happen
 * one at a time (`context.exclusive`); the branch only moves forward. With one slot and nothing proposed ahead
 * this is the sequential loop: propose, run, decide, record.
 */
export async function schedule(
  context: LoopContext,
  options: ScheduleOptions,
): Promise<StopReason | undefined> {
  const research = context.options;
  const free: Slot[] = [...options.slots];
  const lanes: Worktree[] = [...options.lanes];
  const pipeline: Pipeline = {
    ready: [],
    retries: [...options.retries],
    repairs: [],
    proposing: 0,
    proposingAhead: 0,
    exhausted: false,
    stop: undefined,
  };
  const tasks = new Set<Promise<void>>();
  const maxProposals = research.maxConcurrentProposals ?? options.slots.length + research.proposeAhead;
  let failure: { error: unknown } | undefined;

  // Wakes the loop between tasks' ends: a proposal that finishes frees a place under `maxConcurrentProposals`
  // while its slot goes on to run it.
  let wake = () => {};
  const woken = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  const spawn = (task: () => Promise<void>) => {
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => tasks.delete(running));
    tasks.add(running);
  };

  /** What a free slot does next. */
  const occupy = (slot: Slot) =>
    spawn(async () => {
      try {
        let candidate = pipeline.ready.shift();
        while (candidate === undefined && pipeline.retries.length > 0) {
          candidate = await retryCandidate(context, pipeline.retries.shift() as TrialRecord);
        }
        if (candidate === undefined) {
          candidate = await proposeCandidate(context, pipeline, slot.worktree, slot.index);
          wake();
        }
        if (candidate !== undefined) await runCandidate(context, pipeline, slot, candidate);
      } finally {
        free.push(slot);
      }
    });

  const proposeAhead = (lane: Worktree) =>
    spawn(async () => {
      pipeline.proposingAhead++;
      try {
        const candidate = await proposeCandidate(context, pipeline, lane, undefined);
        if (candidate !== undefined) pipeline.ready.push(candidate);
      } finally {
        pipeline.proposingAhead--;
        lanes.push(lane);
      }
    });

  /**
   * The stop conditions, read again before anything starts. `trial-count` is read again even once met: it counts
   * trials in flight, and one of them may end without a record (a change that no longer applies).
   */
  const refreshStop = () => {
    if (pipeline.stop === undefined || pipeline.stop === "trial-count") pipeline.stop = checkStop(context);
  };
  /** Ready candidates run while the research goes on; `trial-count` counted them already. */
  const mayRunReady = () => pipeline.stop === undefined || pipeline.stop === "trial-count";
  const mayStartNew = () => {
    refreshStop();
    return pipeline.stop === undefined && !pipeline.exhausted && failure === undefined;
  };

  for (;;) {
    if (context.abortSignal.aborted) pipeline.stop = "aborted";
    refreshStop();
    while (free.length > 0 && failure === undefined) {
      if (pipeline.ready.length > 0 && mayRunReady()) occupy(free.shift() as Slot);
      else if (mayStartNew() && pipeline.proposing < maxProposals) occupy(free.shift() as Slot);
      else break;
    }
    // Interrupted trials of an earlier session go first: nothing new is proposed ahead while they wait.
    while (
      lanes.length > 0 &&
      pipeline.retries.length === 0 &&
      pipeline.ready.length + pipeline.proposingAhead < research.proposeAhead &&
      pipeline.proposing < maxProposals &&
      mayStartNew()
    ) {
      proposeAhead(lanes.shift() as Worktree);
    }
    if (tasks.size === 0) break;
    await Promise.race([...tasks, woken()]);
  }

  // The first failure is the one to report, also when recording the unrun ones fails after it.
  const unrun = await recordUnrun(context, pipeline.ready.splice(0), pipeline.stop).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const first = failure ?? unrun;
  if (first !== undefined) throw first.error;
  return pipeline.stop ?? (pipeline.exhausted ? "exhausted" : undefined);
}

/** Proposed but never run: recorded, so a later session tries them again. */
async function recordUnrun(context: LoopContext, candidates: Candidate[], stop: StopReason | undefined) {
  for (const candidate of candidates) {
    await context.exclusive(() =>
      recordTrial(
        context,
        buildTrialRecord({
          tag: context.state.tag,
          trial: candidate.trial,
          status: "interrupted",
          reason: `not run: the research stopped (${stop ?? "aborted"}) before a slot was free`,
          proposeMs: candidate.proposeMs,
          now: context.now(),
          extra: candidate.extra,
        }),
      ),
    );
  }
}
