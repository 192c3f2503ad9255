import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { GitOptions } from "./git.js";

type RunGit = (
  directory: string,
  args: readonly string[],
  options?: GitOptions,
) => Promise<{ stdout: string; exitCode: number }>;

/**
 * Puts the trial worktree at exactly `commit`: its link to the shared repository restored if anything replaced it,
 * index flags that hide changes (assume-unchanged, skip-worktree) cleared, tracked files reset, and every
 * untracked and ignored file removed (a cache, a compiled module, a metrics file left by an earlier run), nested
 * repositories included. Nothing a previous run or proposal left can change the next run's number.
 */
export async function resetTrialSurface(options: {
  git: RunGit;
  worktree: string;
  /** The content of the worktree's `.git` file, as git wrote it. */
  gitLink: string;
  commit: string;
}): Promise<void> {
  const { git, worktree, commit } = options;
  const linkFile = join(worktree, ".git");
  // Read only a plain file: a FIFO planted there would block the read forever.
  const isFile = await lstat(linkFile).then(
    (info) => info.isFile(),
    () => false,
  );
  const link = isFile ? await readFile(linkFile, "utf8").catch(() => undefined) : undefined;
  if (link !== options.gitLink) {
    await rm(linkFile, { recursive: true, force: true });
    await writeFile(linkFile, options.gitLink);
  }
  // `ls-files -v` tags assume-unchanged entries in lower case and skip-worktree ones with `S`; update-index
  // applies one kind of flag per command.
  const entries = (await git(worktree, ["ls-files", "-v", "-z"])).stdout.split("\0");
  const assumed = entries.filter((entry) => /^[a-z] /.test(entry)).map((entry) => entry.slice(2));
  // An entry with both flags shows as `s`.
  const skipped = entries.filter((entry) => /^[sS] /.test(entry)).map((entry) => entry.slice(2));
  if (assumed.length > 0) await git(worktree, ["update-index", "--no-assume-unchanged", "--", ...assumed]);
  if (skipped.length > 0) await git(worktree, ["update-index", "--no-skip-worktree", "--", ...skipped]);
  await git(worktree, ["reset", "--hard", "-q", commit]);
  await git(worktree, ["clean", "-ffdxq"]);
}

/**
 * Removes every `.git` inside the trial directory but the worktree's own link: a proposal may not create a nested
 * repository (git would refuse to stage it, or record a bare link to it). Returns the removed paths, relative to
 * `directory`. It runs after a proposal, on a worktree that held exactly a commit before it, so the walk is as long
 * as the repository plus what the proposal added.
 */
export async function removeNestedRepositories(directory: string, worktree: string): Promise<string[]> {
  const removed: string[] = [];
  const queue = [directory];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.name.toLowerCase() === ".git") {
        if (path === join(worktree, ".git")) continue;
        await rm(path, { recursive: true, force: true });
        removed.push(relative(directory, path).split(sep).join("/"));
      } else if (entry.isDirectory()) {
        queue.push(path);
      }
    }
  }
  return removed;
}
