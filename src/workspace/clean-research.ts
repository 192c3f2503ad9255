import { existsSync } from "node:fs";
import { realpath, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { LockedError, WorkspaceError } from "../errors/autoresearch-error.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { git, gitOutput } from "./git.js";
import { acquireLock, readLock } from "./lock.js";
import { repositoryRootOf } from "./repository.js";

/** Everything a research of one tag left in a repository, as `autoresearch clean` removes it. */
export interface CleanPlan {
  tag: string;
  /** The researched directory. */
  directory: string;
  repositoryRoot: string;
  /** `autoresearch/<tag>` and its commit, when the branch exists. */
  branch: { name: string; commit: string } | undefined;
  /** `refs/autoresearch/<tag>/…`: every trial's commit. */
  trialRefs: string[];
  /** Worktrees registered under the tag's state folder. */
  worktrees: string[];
  /** `.autoresearch/<tag>`, when it exists, and how many trials its ledger holds. */
  state: { path: string; trials: number } | undefined;
}

/** The worktrees git knows, with the branch each has checked out. */
async function listWorktrees(root: string): Promise<{ path: string; branch: string | undefined }[]> {
  const listing = await gitOutput(root, ["worktree", "list", "--porcelain"]);
  return listing
    .split("\n\n")
    .filter((block) => block.startsWith("worktree "))
    .map((block) => {
      const lines = block.split("\n");
      return {
        path: (lines[0] ?? "").slice("worktree ".length),
        branch: lines.find((line) => line.startsWith("branch "))?.slice("branch ".length),
      };
    });
}

/**
 * What cleaning `tag` in `directory` would remove: the branch `autoresearch/<tag>`, the trial refs, the trial
 * worktrees and the state folder. Nothing else: the user's own branches and checkout are never part of it.
 * Refuses while a driver runs the tag, and when the branch is checked out somewhere (someone is using it).
 */
export async function planClean(options: { directory: string; tag: string }): Promise<CleanPlan> {
  const { tag } = options;
  const directory = await realpath(resolve(options.directory)).catch(() => resolve(options.directory));
  const repositoryRoot = await repositoryRootOf(directory);
  if (repositoryRoot === undefined)
    throw new WorkspaceError({ message: `${directory} is not inside a git repository` });
  const statePath = join(directory, ".autoresearch", tag);
  const holder = await readLock(join(statePath, "lock"));
  if (holder?.alive) {
    throw new LockedError({
      message: `A driver (pid ${holder.pid} on ${holder.hostname}) is running the tag ${tag}: stop it before cleaning`,
      holder,
    });
  }
  const branchName = `autoresearch/${tag}`;
  const head = await git(
    repositoryRoot,
    ["rev-parse", "--verify", "-q", `refs/heads/${branchName}^{commit}`],
    {
      allowExitCodes: [1],
    },
  );
  const worktrees = await listWorktrees(repositoryRoot);
  const ours = worktrees.filter((worktree) => worktree.path.startsWith(`${statePath}/`));
  const elsewhere = worktrees.find(
    (worktree) => worktree.branch === `refs/heads/${branchName}` && !ours.includes(worktree),
  );
  if (elsewhere !== undefined) {
    throw new WorkspaceError({
      message: `The branch ${branchName} is checked out at ${elsewhere.path}: switch that checkout to another branch before cleaning`,
    });
  }
  const refs = (
    await gitOutput(repositoryRoot, ["for-each-ref", "--format=%(refname)", `refs/autoresearch/${tag}/`])
  )
    .split("\n")
    .filter(Boolean);
  return {
    tag,
    directory,
    repositoryRoot,
    branch: head.exitCode === 0 ? { name: branchName, commit: head.stdout.trim() } : undefined,
    trialRefs: refs,
    worktrees: ours.map((worktree) => worktree.path),
    state: existsSync(statePath)
      ? { path: statePath, trials: (await readLedgerFile(join(statePath, "ledger.jsonl"))).length }
      : undefined,
  };
}

/** Whether the plan has anything to remove. */
export function isEmptyPlan(plan: CleanPlan): boolean {
  return (
    plan.branch === undefined &&
    plan.trialRefs.length === 0 &&
    plan.worktrees.length === 0 &&
    plan.state === undefined
  );
}

/** Removes what the plan lists, holding the tag's lock meanwhile so that no driver starts on it. */
export async function executeClean(plan: CleanPlan): Promise<void> {
  const release = plan.state === undefined ? undefined : await acquireLock(join(plan.state.path, "lock"));
  try {
    for (const worktree of plan.worktrees) {
      await git(plan.repositoryRoot, ["worktree", "remove", "--force", worktree], { allowExitCodes: [128] });
    }
    await git(plan.repositoryRoot, ["worktree", "prune"]);
    const deletions = plan.trialRefs.map((ref) => `delete ${ref}\n`);
    if (plan.branch !== undefined)
      deletions.push(`delete refs/heads/${plan.branch.name} ${plan.branch.commit}\n`);
    if (deletions.length > 0) {
      const result = await git(plan.repositoryRoot, ["update-ref", "--stdin"], { input: deletions.join("") });
      if (result.exitCode !== 0)
        throw new WorkspaceError({ message: "Could not delete the research's refs" });
    }
    if (plan.state !== undefined) await rm(plan.state.path, { recursive: true, force: true });
  } finally {
    // The lock went with the state folder; releasing a lock file that is gone is a no-op.
    await release?.();
  }
}
