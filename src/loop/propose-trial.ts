import type { Proposal, RepairRequest, RunningTrial } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import { checkScope } from "../workspace/scope.js";
import type { Worktree } from "../workspace/workspace.js";
import { clearInFlight, type InFlightTrial, writeInFlight } from "./in-flight.js";
import type { LoopContext } from "./loop-context.js";
import { changeBase } from "./research-state.js";
import { buildTrialRecord } from "./trial-record.js";

/** A proposal that is ready to run: committed, inside its scope. */
export interface Candidate {
  trial: InFlightTrial;
  /**
   * The incumbent commit the change was made against and must beat: the parent of a proposal, the crashed trial's
   * parent for a repair (whose own parent is the crashed commit).
   */
  base: string;
  proposeMs: number;
  /** Fields of the record that come from the proposal. */
  extra: Partial<TrialRecord>;
  /** Set for a repair: the attempt number, so the next crash can ask for the next attempt. */
  repairAttempt?: number;
}

export type ProposeOutcome =
  | { type: "candidate"; candidate: Candidate }
  /** Nothing to run: the proposal failed, changed nothing, or left its scope; its record is in the ledger. */
  | { type: "recorded"; record: TrialRecord }
  | { type: "exhausted" };

export interface ProposeTrialOptions {
  /** Where the mutator edits; checked out at `parent` first. */
  worktree: Worktree;
  id: number;
  /** The commit the proposal starts from: the branch head, or the crashed commit of a repair. */
  parent: string;
  repair?: RepairRequest | undefined;
  /** The slot that will run it, when it is proposed for a free slot. */
  slot?: number | undefined;
}

/** What a mutator gets of the research's guard: the sandbox policy of a coding agent it starts in `worktree`. */
function agentSandbox(context: LoopContext, worktree: Worktree): { sandbox?: SandboxPolicy } {
  const policy = context.guard.agentPolicy(worktree);
  return policy === undefined ? {} : { sandbox: policy };
}

/** The trials proposed or running now, as a proposer sees them: ideas not to propose twice. */
function runningTrials(context: LoopContext, except: number): RunningTrial[] {
  return [...context.state.inFlight.values()]
    .filter((trial) => trial.id !== except && trial.kind !== "baseline" && trial.commit !== null)
    .map((trial) => ({
      id: trial.id,
      description: trial.description,
      parent: trial.parent,
      changedFiles: trial.changedFiles,
    }));
}

/**
 * One proposal: the mutator edits a worktree checked out at the parent; the change is staged, committed at the
 * trial's ref and checked against the scope. A proposal that cannot run is recorded here.
 */
export async function proposeTrial(
  context: LoopContext,
  options: ProposeTrialOptions,
): Promise<ProposeOutcome> {
  const { state, workspace, options: research } = context;
  const { mutator } = research;
  const { worktree, id, parent, repair } = options;
  const trial: InFlightTrial = {
    id,
    kind: repair === undefined ? "proposal" : "repair",
    ...(repair === undefined ? {} : { repairOf: repair.trial.id }),
    parent,
    commit: null,
    description: repair === undefined ? "(proposing)" : `(repairing trial ${repair.trial.id})`,
    changedFiles: [],
    proposer: { name: mutator.name },
    ...(options.slot === undefined ? {} : { slot: options.slot }),
    processGroups: [],
    startedAt: new Date(context.now()).toISOString(),
  };
  state.inFlight.set(id, trial);
  await writeInFlight(workspace.stateDirectory, trial);
  context.emit({
    type: "trial-start",
    trial: id,
    kind: trial.kind,
    parent,
    ...(repair === undefined ? {} : { repair }),
    ...(options.slot === undefined ? {} : { slot: options.slot }),
  });

  await worktree.checkout(parent);
  const started = context.now();
  let proposal: Proposal;
  try {
    const running = runningTrials(context, id);
    proposal = await mutator.propose({
      directory: worktree.directory,
      trial: id,
      scope: research.scope,
      history: state.records,
      incumbent: state.incumbent,
      objective: { metric: research.objective.metric, direction: research.objective.direction },
      ...(repair === undefined ? {} : { repair }),
      ...(running.length === 0 ? {} : { running }),
      readDiff: (record) =>
        record.commit === null || record.commit === record.parent
          ? Promise.resolve("")
          : workspace.diff(record.parent, record.commit).then(context.guard.redactText),
      ...agentSandbox(context, worktree),
      abortSignal: context.abortSignal,
    });
    proposal = context.guard.redact(proposal);
  } catch (error) {
    proposal = { type: "failed", error: error instanceof Error ? error.message : String(error) };
  }
  const proposeMs = context.now() - started;

  if (proposal.type === "exhausted") {
    // Nothing was tried: forget the number and the marker.
    state.inFlight.delete(id);
    state.releaseId(id);
    await clearInFlight(workspace.stateDirectory, id);
    context.emit({ type: "proposal-end", trial: id, proposal, changedFiles: [], durationMs: proposeMs });
    return { type: "exhausted" };
  }
  trial.proposer = {
    name: mutator.name,
    ...(proposal.metadata === undefined ? {} : { metadata: proposal.metadata }),
    ...(proposal.usage === undefined ? {} : { usage: proposal.usage }),
    ...(proposal.costUsd === undefined ? {} : { costUsd: proposal.costUsd }),
  };
  trial.description =
    proposal.type === "edit"
      ? proposal.description.split("\n")[0]?.trim() || "(no description)"
      : "(failed proposal)";
  const changedFiles = await worktree.stage();
  trial.changedFiles = changedFiles;
  context.emit({ type: "proposal-end", trial: id, proposal, changedFiles, durationMs: proposeMs });
  const extra: Partial<TrialRecord> =
    proposal.type === "edit" && proposal.rationale ? { rationale: proposal.rationale } : {};

  const record = async (status: "invalid" | "interrupted", reason: string) => {
    const built = buildTrialRecord({
      tag: state.tag,
      trial,
      status,
      reason,
      proposeMs,
      now: context.now(),
      extra,
    });
    return { type: "recorded" as const, record: built };
  };
  if (context.abortSignal.aborted)
    return record("interrupted", "the research was stopped during the proposal");
  if (changedFiles.length > 0) {
    trial.commit = await worktree.commit({
      parent,
      trial: id,
      message: `autoresearch ${state.tag} trial ${id}: ${trial.description}`,
    });
    await writeInFlight(workspace.stateDirectory, trial);
  }

  let invalid: string | undefined;
  if (proposal.type === "failed") invalid = `proposal failed: ${proposal.error}`;
  else if (changedFiles.length === 0) invalid = "the proposal changed nothing";
  else {
    const check = checkScope(changedFiles, research.scope);
    if (check.protected.length > 0)
      invalid = `the proposal edits protected files: ${check.protected.join(", ")}`;
    else if (check.outside.length > 0) {
      invalid = `the proposal edits files outside the editable scope: ${check.outside.join(", ")}`;
    }
  }
  if (invalid !== undefined) return record("invalid", invalid);
  return {
    type: "candidate",
    candidate: {
      trial,
      base: repair === undefined ? parent : changeBase(state.records, repair.trial),
      proposeMs,
      extra,
      ...(repair === undefined ? {} : { repairAttempt: repair.attempt }),
    },
  };
}
