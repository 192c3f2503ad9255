import type { StopReason } from "../spec/events.js";
import type { RepairRequest } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import type { Worktree } from "../workspace/workspace.js";
import { evaluateCandidate } from "./evaluate-candidate.js";
import { clearInFlight, type InFlightTrial, writeInFlight } from "./in-flight.js";
import type { LoopContext, Slot } from "./loop-context.js";
import { type Candidate, type ProposeOutcome, proposeTrial } from "./propose-trial.js";
import { applyOntoHead, bringUpToDate, recordTrial, settleCandidate } from "./settle-trial.js";
import { buildTrialRecord } from "./trial-record.js";

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
  const { state } = context;
  const research = context.options;
  const free: Slot[] = [...options.slots];
  const lanes: Worktree[] = [...options.lanes];
  const ready: Candidate[] = [];
  const retries = [...options.retries];
  const repairs: RepairRequest[] = [];
  const tasks = new Set<Promise<void>>();
  const maxProposals = research.maxConcurrentProposals ?? options.slots.length + research.proposeAhead;
  let proposing = 0;
  let proposingAhead = 0;
  let stop: StopReason | undefined;
  let exhausted = false;
  let failure: { error: unknown } | undefined;

  const spawn = (task: () => Promise<void>) => {
    const running: Promise<void> = task()
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => tasks.delete(running));
    tasks.add(running);
  };

  /** Records a proposal that cannot run; too many in a row stop the research. */
  const recordFailedProposal = (record: TrialRecord) =>
    context.exclusive(async () => {
      await recordTrial(context, record);
      if (record.status !== "invalid") return;
      state.consecutiveFailures++;
      if (state.consecutiveFailures >= research.maxConsecutiveFailures) stop ??= "proposal-failures";
    });

  /** Proposes a trial in `worktree`: a candidate, or `undefined` when nothing is left to run. */
  const propose = async (worktree: Worktree, slot: number | undefined): Promise<Candidate | undefined> => {
    const id = state.reserveId();
    const repair = repairs.shift();
    proposing++;
    let outcome: ProposeOutcome;
    try {
      outcome = await proposeTrial(context, {
        worktree,
        id,
        parent: repair?.trial.commit ?? state.head,
        repair,
        slot,
      });
    } finally {
      proposing--;
    }
    if (outcome.type === "exhausted") {
      exhausted = true;
      return undefined;
    }
    if (outcome.type === "recorded") {
      await recordFailedProposal(outcome.record);
      return undefined;
    }
    state.consecutiveFailures = 0;
    return outcome.candidate;
  };

  /**
   * An interrupted trial of an earlier session, its change applied onto the head as a trial of its own; a change
   * that no longer applies is left alone. Its number is reserved at once, so stop conditions count it.
   */
  const retry = (of: TrialRecord): Promise<Candidate | undefined> => {
    const id = state.reserveId();
    const trial: InFlightTrial = {
      id,
      kind: "rebase",
      rebaseOf: of.id,
      parent: state.head,
      commit: null,
      description: of.description,
      changedFiles: of.changedFiles,
      proposer: { name: of.proposer.name },
      processGroups: [],
      startedAt: new Date(context.now()).toISOString(),
    };
    state.inFlight.set(id, trial);
    return context.exclusive(async () => {
      // The marker first: a driver killed from here on leaves a trial the next start records.
      await writeInFlight(context.workspace.stateDirectory, trial);
      const applied = await applyOntoHead(context, {
        base: of.parent,
        commit: of.commit as string,
        id,
        description: of.description,
      });
      if (applied.type === "conflict") {
        state.inFlight.delete(id);
        await clearInFlight(context.workspace.stateDirectory, id);
        state.releaseId(id);
        return undefined;
      }
      trial.parent = state.head;
      trial.commit = applied.commit;
      await writeInFlight(context.workspace.stateDirectory, trial);
      context.emit({ type: "trial-start", trial: id, kind: "rebase", parent: state.head });
      return { trial, base: state.head, proposeMs: 0, extra: {} };
    });
  };

  /** Runs a candidate in a slot and settles it; a crash may ask for a repair, a late keep for a rebase. */
  const run = async (slot: Slot, candidate: Candidate) => {
    const current = await bringUpToDate(context, candidate);
    if (current.type === "recorded") return;
    candidate.trial.slot = slot.index;
    const evaluation = await evaluateCandidate(context, {
      slot,
      trial: candidate.trial,
      commit: candidate.trial.commit as string,
      reference: current.reference,
      isBaseline: false,
    });
    const rebase = await settleCandidate(context, candidate, evaluation);
    if (rebase !== undefined) ready.unshift(rebase);
    if (evaluation.status === "interrupted") stop ??= "aborted";
    if (evaluation.status === "crash" && research.repairAttempts > 0) {
      const attempt = (candidate.repairAttempt ?? 0) + 1;
      const record = state.records.find((each) => each.id === candidate.trial.id);
      if (attempt <= research.repairAttempts && record !== undefined) {
        repairs.push({ trial: record, logTail: evaluation.last?.result.outputTail ?? "", attempt });
      }
    }
  };

  /** What a free slot does next. */
  const occupy = (slot: Slot) =>
    spawn(async () => {
      try {
        let candidate = ready.shift();
        while (candidate === undefined && retries.length > 0) {
          candidate = await retry(retries.shift() as TrialRecord);
        }
        candidate ??= await propose(slot.worktree, slot.index);
        if (candidate !== undefined) await run(slot, candidate);
      } finally {
        free.push(slot);
      }
    });

  const proposeAhead = (lane: Worktree) =>
    spawn(async () => {
      proposingAhead++;
      try {
        const candidate = await propose(lane, undefined);
        if (candidate !== undefined) ready.push(candidate);
      } finally {
        proposingAhead--;
        lanes.push(lane);
      }
    });

  /** Ready candidates run while the research goes on; `trial-count` counted them already. */
  const mayRunReady = () => stop === undefined || stop === "trial-count";
  const mayStartNew = () => {
    if (stop === undefined) stop = checkStop(context);
    return stop === undefined && !exhausted && failure === undefined;
  };

  for (;;) {
    if (context.abortSignal.aborted) stop = "aborted";
    while (free.length > 0 && failure === undefined) {
      if (ready.length > 0 && mayRunReady()) occupy(free.shift() as Slot);
      else if (mayStartNew() && proposing < maxProposals) occupy(free.shift() as Slot);
      else break;
    }
    while (
      lanes.length > 0 &&
      ready.length + proposingAhead < research.proposeAhead &&
      proposing < maxProposals &&
      mayStartNew()
    ) {
      proposeAhead(lanes.shift() as Worktree);
    }
    if (tasks.size === 0) break;
    await Promise.race(tasks);
  }

  // Proposed but never run: recorded, so a later session tries them again.
  for (const candidate of ready.splice(0)) {
    await context.exclusive(() =>
      recordTrial(
        context,
        buildTrialRecord({
          tag: state.tag,
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
  if (failure !== undefined) throw failure.error;
  return stop ?? (exhausted ? "exhausted" : undefined);
}
