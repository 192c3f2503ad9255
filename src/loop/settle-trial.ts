import type { TrialRecord } from "../spec/records.js";
import { clearInFlight, type InFlightTrial, writeInFlight } from "./in-flight.js";
import type { LoopContext } from "./loop-context.js";
import type { Candidate } from "./propose-trial.js";
import { buildTrialRecord, type Evaluation } from "./trial-record.js";

/**
 * Records a finished trial and, for a keep, moves the branch to it. The record is durable before the branch
 * moves; the branch only ever moves forward, from the head the trial was measured against (`base`). Call inside
 * `context.exclusive`.
 */
export async function recordTrial(
  context: LoopContext,
  unredacted: TrialRecord,
  base?: string,
): Promise<void> {
  const { state, workspace } = context;
  const moves = unredacted.status === "keep" && unredacted.commit !== null && unredacted.kind !== "baseline";
  if (moves && (base ?? unredacted.parent) !== state.head) {
    throw new Error(
      `internal error: trial ${unredacted.id} would be kept against ${(base ?? unredacted.parent).slice(0, 7)}, but the branch is at ${state.head.slice(0, 7)}`,
    );
  }
  if (moves && state.branchMoveFailed !== undefined) {
    throw new Error(
      `trial ${unredacted.id} cannot be kept: moving the branch to trial ${state.branchMoveFailed.trial} failed, so the branch is not where the ledger says; the next start finishes that move`,
    );
  }
  const record = await state.append(unredacted);
  state.inFlight.delete(record.id);
  if (moves) {
    try {
      await workspace.advance({ from: state.head, to: record.commit as string });
    } catch (error) {
      state.branchMoveFailed = { trial: record.id, error };
      throw error;
    }
    state.head = record.commit as string;
  }
  if (record.status === "keep") {
    state.incumbent = record;
    if (record.commit !== null && typeof record.holdout?.metric === "number") {
      state.holdouts.set(record.commit, record.holdout.metric);
    }
  }
  await clearInFlight(workspace.stateDirectory, record.id);
  context.emit({ type: "trial-end", record, best: state.incumbent });
}

/** A trial measured again on another commit: a rebase of `of` onto `commit`, waiting for a slot. */
function rebaseTrial(
  context: LoopContext,
  of: InFlightTrial,
  id: number,
  parent: string,
  commit: string | null,
): InFlightTrial {
  const trial: InFlightTrial = {
    id,
    kind: "rebase",
    rebaseOf: of.id,
    parent,
    commit,
    description: of.description,
    changedFiles: of.changedFiles,
    proposer: { name: of.proposer.name },
    processGroups: [],
    startedAt: new Date(context.now()).toISOString(),
  };
  return trial;
}

/**
 * The change of `trial` (from `base` to its commit) applied onto the branch head with git's three-way merge: a new
 * commit on the head, or the files that conflict.
 */
export async function applyOntoHead(
  context: LoopContext,
  options: { base: string; commit: string; id: number; description: string },
): Promise<{ type: "clean"; commit: string } | { type: "conflict"; files: string[] }> {
  const { workspace, state } = context;
  const merged = await workspace.merge({ base: options.base, commit: options.commit, onto: state.head });
  if (merged.type === "conflict") return merged;
  const commit = await workspace.commitTree({
    tree: merged.tree,
    parent: state.head,
    trial: options.id,
    message: `autoresearch ${state.tag} trial ${options.id}: ${options.description}`,
  });
  return { type: "clean", commit };
}

/** Which trial the branch moved to, for reasons a person reads. */
function keptSince(context: LoopContext): string {
  const incumbent = context.state.incumbent;
  return incumbent === undefined ? "another trial" : `trial ${incumbent.id}`;
}

/**
 * Settles an evaluated candidate. Measured on the current head, it is recorded as decided (a keep moves the
 * branch). Measured on an older incumbent while another keep landed, a candidate that was better there is not
 * kept as is: its change is applied onto the new head and measured again, as a rebase trial linked to it and
 * returned for a slot to run; when the change conflicts, it is discarded with that reason.
 */
export async function settleCandidate(
  context: LoopContext,
  candidate: Candidate,
  evaluation: Evaluation,
): Promise<Candidate | undefined> {
  return context.exclusive(async () => {
    const { state } = context;
    const { trial } = candidate;
    const record = (status: TrialRecord["status"], reason: string, extra: Partial<TrialRecord> = {}) =>
      buildTrialRecord({
        tag: state.tag,
        trial,
        evaluation,
        status,
        reason,
        proposeMs: candidate.proposeMs,
        now: context.now(),
        extra: { ...candidate.extra, ...extra },
      });
    if (evaluation.status !== "keep" || candidate.base === state.head) {
      await recordTrial(context, record(evaluation.status, evaluation.reason), candidate.base);
      return undefined;
    }
    // The marker first: a driver killed from here on leaves a trial the next start records.
    const id = state.reserveId();
    const rebase = rebaseTrial(context, trial, id, state.head, null);
    state.inFlight.set(id, rebase);
    await writeInFlight(context.workspace.stateDirectory, rebase);
    const applied = await applyOntoHead(context, {
      base: candidate.base,
      commit: trial.commit as string,
      id,
      description: trial.description,
    });
    if (applied.type === "conflict") {
      state.inFlight.delete(id);
      await clearInFlight(context.workspace.stateDirectory, id);
      state.releaseId(id);
      await recordTrial(
        context,
        record(
          "discard",
          `${evaluation.reason}; but ${keptSince(context)} was kept meanwhile and the change conflicts with it (${applied.files.join(", ") || "no file named"})`,
        ),
      );
      return undefined;
    }
    rebase.commit = applied.commit;
    await writeInFlight(context.workspace.stateDirectory, rebase);
    await recordTrial(
      context,
      record(
        "discard",
        `${evaluation.reason}; but ${keptSince(context)} was kept meanwhile: measured again on top of it as trial ${id}`,
        { rebasedAs: id },
      ),
    );
    context.emit({ type: "trial-start", trial: id, kind: "rebase", parent: state.head });
    return {
      trial: rebase,
      base: state.head,
      proposeMs: 0,
      extra: {},
      // A rebased repair still counts its attempts, so a crash on the new head asks for the next one.
      ...(candidate.repairAttempt === undefined ? {} : { repairAttempt: candidate.repairAttempt }),
    };
  });
}

/**
 * Before a candidate runs: when the branch moved since it was proposed, its change is applied onto the new head
 * first, so every run measures a change on top of the current incumbent. A conflict is recorded as a discard and
 * nothing runs.
 */
export async function bringUpToDate(
  context: LoopContext,
  candidate: Candidate,
): Promise<{ type: "ready"; reference: TrialRecord | undefined } | { type: "recorded" }> {
  return context.exclusive(async () => {
    const { state } = context;
    const { trial } = candidate;
    // The incumbent to beat, read here: another slot may keep something as soon as this returns.
    if (candidate.base === state.head || trial.commit === null)
      return { type: "ready", reference: state.incumbent };
    const applied = await applyOntoHead(context, {
      base: candidate.base,
      commit: trial.commit,
      id: trial.id,
      description: trial.description,
    });
    if (applied.type === "conflict") {
      await recordTrial(
        context,
        buildTrialRecord({
          tag: state.tag,
          trial,
          status: "discard",
          reason: `not run: ${keptSince(context)} was kept after it was proposed and the change conflicts with it (${applied.files.join(", ") || "no file named"})`,
          proposeMs: candidate.proposeMs,
          now: context.now(),
          extra: candidate.extra,
        }),
      );
      return { type: "recorded" };
    }
    trial.parent = state.head;
    trial.commit = applied.commit;
    candidate.base = state.head;
    await writeInFlight(context.workspace.stateDirectory, trial);
    return { type: "ready", reference: state.incumbent };
  });
}
