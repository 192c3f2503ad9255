import { existsSync } from "node:fs";
import { readdir, readFile, realpath, rm } from "node:fs/promises";
import { dirname, join, posix, resolve } from "node:path";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { type GitOptions, git, gitOutput } from "./git.js";
import type { GitShell } from "./git-shell.js";
import type { ProtectedFiles } from "./protected-files.js";
import { removeNestedRepositories, resetTrialSurface } from "./trial-surface.js";

/**
 * One git worktree of the research (a slot's, or one where proposals are prepared ahead), detached, under
 * `.autoresearch/<tag>/worktrees/<name>`.
 */
export interface Worktree {
  readonly name: string;
  /** The worktree's root (its `.git` file points into the shared repository). */
  readonly root: string;
  /** The researched directory inside this worktree: where proposals edit and experiments run. */
  readonly directory: string;
  /**
   * Puts the worktree at exactly `commit`: no changes, no untracked or ignored files, no index flags hiding a
   * change, its `.git` link as git wrote it.
   */
  checkout(commit: string): Promise<void>;
  /**
   * Stages every change in the worktree (nested repositories a proposal made are removed first); returns the
   * changed files relative to the researched directory.
   */
  stage(): Promise<string[]>;
  /** Commits what is staged on top of `parent` and points `refs/autoresearch/<tag>/trials/<trial>` at it. */
  commit(options: { parent: string; trial: number; message: string }): Promise<string>;
  /** Protected files here whose content differs from the research's reference commit. */
  changedProtectedFiles(): Promise<string[]>;
  /**
   * The protected files as absolute paths in this worktree, to mount them read-only: a folder stands for its files
   * when all of them are protected.
   */
  protectedPaths(): string[];
}

/** What every worktree of a research shares. */
export interface WorktreeContext {
  hot: GitShell;
  repositoryRoot: string;
  stateDirectory: string;
  /** The researched directory relative to the repository root, `""` at the root. */
  prefix: string;
  tag: string;
  branchRef: string;
  identity: Record<string, string>;
  /** Worktrees git knows of; ours are added as they are made. */
  registered: Set<string>;
  /** The protected files as the research currently checks them. */
  protectedFiles(): ProtectedFiles;
}

/**
 * The shared repository's administrative folder of the worktree at `root`, found from the repository's side
 * (`<common dir>/worktrees/*` whose `gitdir` names `root/.git`), never through the worktree's own `.git` file: an
 * unsandboxed run could have replaced that with a link to a repository of its own.
 */
async function worktreeGitDirectory(repositoryRoot: string, root: string): Promise<string> {
  const common = resolve(repositoryRoot, await gitOutput(repositoryRoot, ["rev-parse", "--git-common-dir"]));
  const real = async (path: string) => realpath(path).catch(() => path);
  const wanted = await real(root);
  const names = await readdir(join(common, "worktrees")).catch(() => [] as string[]);
  for (const name of names) {
    const named = (await readFile(join(common, "worktrees", name, "gitdir"), "utf8").catch(() => "")).trim();
    if (named !== "" && (await real(dirname(named))) === wanted) return join(common, "worktrees", name);
  }
  throw new WorkspaceError({ message: `git has no worktree registered at ${root}` });
}

/** Makes (or takes over) the worktree called `name` and returns its operations. */
export async function openWorktree(context: WorktreeContext, name: string): Promise<Worktree> {
  const { hot, repositoryRoot, prefix, tag, identity } = context;
  const root = join(context.stateDirectory, "worktrees", name);
  if (!context.registered.has(root) || !existsSync(join(root, ".git"))) {
    await rm(root, { recursive: true, force: true });
    // `--force` takes over our own registration when its folder is gone; other worktrees, the user's, are never
    // pruned.
    await git(repositoryRoot, ["worktree", "add", "--detach", "--force", root, context.branchRef]);
    context.registered.add(root);
  }
  // A driver killed in the middle of a git command leaves its lock files behind; we hold the tag's lock, so
  // nobody else can be using them.
  const gitDirectory = await worktreeGitDirectory(repositoryRoot, root);
  await rm(join(gitDirectory, "index.lock"), { force: true });
  const gitLink = `gitdir: ${gitDirectory}\n`;
  const directory = prefix === "" ? root : join(root, prefix);
  const output = async (args: readonly string[], options?: GitOptions) =>
    (await hot.git(root, args, options)).stdout;
  return {
    name,
    root,
    directory,
    checkout: (commit) => resetTrialSurface({ git: hot.git, worktree: root, gitLink, commit }),
    async stage() {
      await removeNestedRepositories(directory, root);
      await hot.git(root, ["add", "-A"]);
      const names = await output(["diff", "--cached", "--name-only", "--no-renames", "-z", "HEAD"]);
      return names
        .split("\0")
        .filter(Boolean)
        .map((file) => (prefix === "" ? file : posix.relative(prefix, file)));
    },
    async commit({ parent, trial, message }) {
      const tree = (await output(["write-tree"])).trim();
      const commit = (
        await output(["commit-tree", tree, "-p", parent, "-m", message], { env: identity })
      ).trim();
      await hot.git(root, ["update-ref", `refs/autoresearch/${tag}/trials/${trial}`, commit]);
      return commit;
    },
    changedProtectedFiles: () => context.protectedFiles().changed(directory),
    protectedPaths: () => context.protectedFiles().mountPaths.map((file) => join(directory, file)),
  };
}
