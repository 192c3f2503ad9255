import { existsSync } from "node:fs";
import { realpath, rm } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { git, gitOutput } from "../workspace/git.js";
import { acquireLock } from "../workspace/lock.js";
import { createMatcher } from "../workspace/scope.js";
import { identityEnvironment } from "../workspace/workspace.js";

export interface AblationWorktree {
  /** The researched directory inside the ablation worktree: where the experiments run. */
  readonly directory: string;
  /** Puts the worktree at `commit`, with no changes and no untracked files. */
  checkout(commit: string): Promise<void>;
  /**
   * A new commit: `base` with the changes of `commits` undone, newest first (`git revert` of each), or the files
   * that conflicted when a later change built on the one to undo.
   */
  revert(
    base: string,
    commits: readonly string[],
    message: string,
  ): Promise<{ commit: string } | { conflict: string[] }>;
  /** Protected files the last run changed. */
  changedProtectedFiles(): Promise<string[]>;
  /** Creates branch `name` at `commit`; refuses to move an existing branch. */
  createBranch(name: string, commit: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A worktree of its own for an ablation, under `.autoresearch/<tag>/worktrees/ablate`, with a lock of its own:
 * the user's checkout, the research branch and the research's trial worktree are never touched, so an ablation
 * can run beside a research.
 */
export async function openAblationWorktree(options: {
  directory: string;
  tag: string;
  protected: readonly string[];
}): Promise<AblationWorktree> {
  const directory = await realpath(options.directory);
  const root = await realpath((await gitOutput(directory, ["rev-parse", "--show-toplevel"])).trim());
  const prefix = relative(root, directory).split(sep).join("/");
  const state = join(directory, ".autoresearch", options.tag);
  const releaseLock = await acquireLock(join(state, "ablate.lock"));
  const worktree = join(state, "worktrees", "ablate");
  try {
    await rm(worktree, { recursive: true, force: true });
    await git(root, ["worktree", "prune"]);
    await git(root, ["worktree", "add", "--detach", "--force", worktree, "HEAD"]);
  } catch (error) {
    await releaseLock();
    throw error;
  }
  const identity = await identityEnvironment(root);
  const isProtected = createMatcher(options.protected);
  const checkout = async (commit: string) => {
    await git(worktree, ["reset", "--hard", "-q", commit]);
    // Ignored files too (checkpoints, caches, metrics files): no variant starts from what another left.
    await git(worktree, ["clean", "-ffdxq"]);
  };
  return {
    directory: prefix === "" ? worktree : join(worktree, prefix),
    checkout,
    async revert(base, commits, message) {
      await checkout(base);
      for (const commit of commits) {
        const reverted = await git(worktree, ["revert", "--no-commit", "--no-edit", commit], {
          allowExitCodes: [1],
          env: identity,
        });
        if (reverted.exitCode !== 0) {
          const conflict = (await gitOutput(worktree, ["diff", "--name-only", "--diff-filter=U"]))
            .split("\n")
            .filter(Boolean);
          await git(worktree, ["revert", "--abort"], { allowExitCodes: [128] });
          await checkout(base);
          return { conflict };
        }
      }
      await git(worktree, ["commit", "-q", "--allow-empty", "-m", message], { env: identity });
      return { commit: (await gitOutput(worktree, ["rev-parse", "HEAD"])).trim() };
    },
    async changedProtectedFiles() {
      const changed = (await gitOutput(worktree, ["diff", "--name-only", "HEAD"]))
        .split("\n")
        .filter(Boolean);
      return changed
        .map((file) => (prefix === "" ? file : posix.relative(prefix, file)))
        .filter((file) => !file.startsWith("../") && isProtected(file));
    },
    async createBranch(name, commit) {
      const ref = `refs/heads/${name}`;
      const exists = await git(root, ["rev-parse", "--verify", "-q", ref], { allowExitCodes: [1] });
      if (exists.exitCode === 0) {
        throw new WorkspaceError({
          message: `The branch ${name} exists already; give another name, or delete it first`,
        });
      }
      await git(root, ["update-ref", "-m", "autoresearch ablate", ref, commit, ""]);
    },
    async close() {
      try {
        if (existsSync(worktree))
          await git(root, ["worktree", "remove", "--force", worktree], { allowExitCodes: [128] });
        await git(root, ["worktree", "prune"]);
      } finally {
        await releaseLock();
      }
    },
  };
}
