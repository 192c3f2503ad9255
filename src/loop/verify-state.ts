import { ResearchStateError } from "../errors/autoresearch-error.js";
import type { TrialRecord } from "../spec/records.js";
import type { Workspace } from "../workspace/workspace.js";

/** What the start may go on from, once the state is checked. */
export interface VerifiedState {
  /** The branch head to continue from. */
  head: string;
  /** The research's baseline commit: protected files must hold its content. */
  baseline: string;
  /** True when the branch was accepted as it is: it must be measured as a new baseline before anything else. */
  rebaseline: boolean;
  warnings: string[];
}

const short = (commit: string) => commit.slice(0, 7);

/**
 * Checks, at every start, that the state is what the harness left: every trial recorded once, every kept record
 * matching its trial ref, the branch at the last kept trial (a keep recorded just before the driver died is
 * finished: the branch moves forward to it), and the branch holding the baseline's protected files. Anything else
 * throws a {@link ResearchStateError} that says how to continue, unless `acceptBranch` is set: then the branch is
 * taken as it is and measured as a new baseline.
 */
export async function verifyResearchState(options: {
  records: readonly TrialRecord[];
  workspace: Workspace;
  ledgerFile: string;
  acceptBranch: boolean;
}): Promise<VerifiedState> {
  const { records, workspace, ledgerFile } = options;
  const branchRef = `refs/heads/${workspace.branch}`;
  // Parallel slots record trials in the order they end, so numbers need not increase; each appears once.
  const seen = new Map<number, number>();
  for (const [index, record] of records.entries()) {
    const earlier = seen.get(record.id);
    if (earlier !== undefined) {
      throw new ResearchStateError({
        message: `The ledger ${ledgerFile} records trial ${record.id} twice (lines ${earlier + 1} and ${index + 1}): autoresearch records each trial once, so the ledger was edited. Remove the lines it did not write to continue.`,
      });
    }
    seen.set(record.id, index);
  }
  const refs = await workspace.trialRefs();
  for (const [index, record] of records.entries()) {
    if (record.status !== "keep" || record.commit === null) continue;
    const ref = refs.get(record.id);
    if (ref !== record.commit) {
      throw new ResearchStateError({
        message: `The ledger ${ledgerFile} records trial ${record.id} as kept at ${short(record.commit)} (line ${index + 1}), but refs/autoresearch/${workspace.tag}/trials/${record.id} is ${ref === undefined ? "missing" : short(ref)}: autoresearch did not write that record. Remove that line, and any after it, from the ledger to continue.`,
      });
    }
  }

  let head = await workspace.branchHead();
  const lastKeep = records.findLast((record) => record.status === "keep" && record.commit !== null);
  const lastBaseline = records.findLast((record) => record.kind === "baseline" && record.status === "keep");
  const expected = lastKeep?.commit ?? records[0]?.parent;
  const baseline = lastBaseline?.commit ?? records[0]?.parent ?? head;
  const warnings: string[] = [];
  const accept = async (why: string): Promise<VerifiedState> => {
    await workspace.protectAgainst(head);
    warnings.push(
      `${why}; the branch was accepted as it is (acceptBranch) and is measured as a new baseline.`,
    );
    return { head, baseline: head, rebaseline: true, warnings };
  };

  if (expected != null && head !== expected) {
    if (await workspace.isAncestor(head, expected)) {
      // The keep was recorded but the driver died before the branch moved: finish the move.
      await workspace.advance({ from: head, to: expected });
      head = expected;
    } else {
      const what = `The branch ${workspace.branch} is at ${short(head)}, but the ledger's ${lastKeep === undefined ? "first trial started from" : `last kept trial ${lastKeep.id} is`} ${short(expected)}: something other than autoresearch moved it`;
      if (options.acceptBranch) return accept(what);
      throw new ResearchStateError({
        message: `${what}. To continue from the ledger's state, move the branch back: \`git update-ref ${branchRef} ${expected}\`. To continue from the branch as it is, run again with \`--accept-branch\` (option \`acceptBranch: true\`): its head is then measured as a new baseline.`,
      });
    }
  }

  await workspace.protectAgainst(baseline);
  const changed = await workspace.protectedFilesChangedAt(head);
  if (changed.length > 0) {
    const what = `The branch ${workspace.branch} (${short(head)}) changes protected files relative to the research's baseline ${short(baseline)}: ${changed.join(", ")}`;
    if (options.acceptBranch) return accept(what);
    throw new ResearchStateError({
      message: `${what}. Move the branch back to a commit of this research, or run again with \`--accept-branch\` (option \`acceptBranch: true\`) to measure it as a new baseline with these protected files.`,
    });
  }
  return { head, baseline, rebaseline: false, warnings };
}
