import type { StopReason } from "../spec/events.js";
import type { RepairRequest } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import type { Worktree } from "../workspace/workspace.js";
import { evaluateCandidate } from "./evaluate-candidate.js";
import { type InFlightTrial, writeInFlight } from "./in-flight.js";
import type { LoopContext, Slot } from "./loop-context.js";
import { type Candidate, type ProposeOutcome, proposeTrial } from "./propose-trial.js";
import { changeBase } from "./research-state.js";
import { applyOntoHead, bringUpToDate, recordTrial, settleCandidate } from "./settle-trial.js";
import { buildTrialRecord } from "./trial-record.js";

/** What the scheduler's tasks share: the trials waiting for a slot, and why the research should stop. */
export interface Pipeline {
  /** Candidates waiting for a free slot: proposed ahead, or changes to measure again on a new head. */
  ready: Candidate[];
  /** Interrupted trials of an earlier session, tried again before anything new is proposed. */
  retries: TrialRecord[];
  /** Crashed trials the proposer is asked to repair next. */
  repairs: RepairRequest[];
  /** Proposals being made now, and how many of them in lanes ahead of a free slot. */
  proposing: number;
  proposingAhead: number;
  /** The proposer has no more ideas. */
  exhausted: boolean;
  stop: StopReason | undefined;
}

/** Records a proposal that cannot run; too many in a row stop the research. */
function recordFailedProposal(context: LoopContext, pipeline: Pipeline, record: TrialRecord) {
  return context.exclusive(async () => {
    const { state } = context;
    await recordTrial(context, record);
    if (record.status !== "invalid") return;
    state.consecutiveFailures++;
    if (state.consecutiveFailures >= context.options.maxConsecutiveFailures) {
      pipeline.stop ??= "proposal-failures";
    }
  });
}

/**
 * Proposes a trial in `worktree` (a repair when one is asked for): a candidate, or `undefined` when nothing is
 * left to run. Its number and its count as a proposal are taken at once, so stop conditions see it.
 */
export async function proposeCandidate(
  context: LoopContext,
  pipeline: Pipeline,
  worktree: Worktree,
  slot: number | undefined,
): Promise<Candidate | undefined> {
  const { state } = context;
  const id = state.reserveId();
  const repair = pipeline.repairs.shift();
  pipeline.proposing++;
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
    pipeline.proposing--;
  }
  if (outcome.type === "exhausted") {
    pipeline.exhausted = true;
    return undefined;
  }
  if (outcome.type === "recorded") {
    await recordFailedProposal(context, pipeline, outcome.record);
    return undefined;
  }
  state.consecutiveFailures = 0;
  return outcome.candidate;
}

/**
 * An interrupted trial of an earlier session, its change applied onto the head as a trial of its own; a change
 * that no longer applies is recorded as a discarded rebase of it. Its number is reserved at once, so stop
 * conditions count it.
 */
export function retryCandidate(context: LoopContext, of: TrialRecord): Promise<Candidate | undefined> {
  const { state } = context;
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
      base: changeBase(state.records, of),
      commit: of.commit as string,
      id,
      description: of.description,
    });
    if (applied.type === "conflict") {
      // Recorded, as a rebase of the interrupted trial, so no later start tries it again.
      trial.parent = state.head;
      await recordTrial(
        context,
        buildTrialRecord({
          tag: state.tag,
          trial,
          status: "discard",
          reason: `not retried: its change conflicts with what was kept since (${applied.files.join(", ") || "no file named"})`,
          proposeMs: 0,
          now: context.now(),
          extra: {},
        }),
      );
      return undefined;
    }
    trial.parent = state.head;
    trial.commit = applied.commit;
    await writeInFlight(context.workspace.stateDirectory, trial);
    context.emit({ type: "trial-start", trial: id, kind: "rebase", parent: state.head });
    return { trial, base: state.head, proposeMs: 0, extra: {} };
  });
}

/**
 * Runs a candidate in a slot and settles it: brought up to date with the branch first, evaluated, recorded; a
 * late keep queues its change to be measured again on the new head, a crash may ask for a repair.
 */
export async function runCandidate(
  context: LoopContext,
  pipeline: Pipeline,
  slot: Slot,
  candidate: Candidate,
): Promise<void> {
  const { state, options } = context;
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
  if (rebase !== undefined) pipeline.ready.unshift(rebase);
  if (evaluation.status === "interrupted") pipeline.stop ??= "aborted";
  if (evaluation.status === "crash" && options.repairAttempts > 0) {
    const attempt = (candidate.repairAttempt ?? 0) + 1;
    const record = state.records.find((each) => each.id === candidate.trial.id);
    if (attempt <= options.repairAttempts && record !== undefined) {
      pipeline.repairs.push({ trial: record, logTail: evaluation.last?.result.outputTail ?? "", attempt });
    }
  }
}
