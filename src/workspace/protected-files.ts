import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import type { GitOptions } from "./git.js";
import { createMatcher } from "./scope.js";

type RunGit = (
  directory: string,
  args: readonly string[],
  options?: GitOptions,
) => Promise<{ stdout: string }>;

/**
 * The protected files of a research and the content they must have: the git blob ids of the files matching the
 * protected globs in a reference commit (the research's baseline), not whatever the worktree or the branch holds.
 */
export interface ProtectedFiles {
  /** The reference commit. */
  readonly commit: string;
  /** Paths relative to the researched directory, with their blob ids there. */
  readonly expected: ReadonlyMap<string, string>;
  /**
   * The fewest paths that cover the protected files, for read-only mounts: a folder whose tracked files are all
   * protected stands for them (mounting thousands of single files would take bubblewrap minutes).
   */
  readonly mountPaths: readonly string[];
  /** Files of `directory` whose content differs from the reference, or that are missing. */
  changed(directory: string): Promise<string[]>;
}

/** The blob id git gives `content`, in the repository's object format (sha1 or sha256). */
function blobId(content: Buffer, format: string): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest("hex");
}

/**
 * Reads the protected files of `commit` from git: `prefix` is the researched directory relative to the repository
 * root (`""` at the root), `globs` relative to it.
 */
export async function readProtectedFiles(options: {
  git: RunGit;
  repositoryRoot: string;
  prefix: string;
  commit: string;
  globs: readonly string[];
}): Promise<ProtectedFiles> {
  const { git, repositoryRoot, prefix, commit } = options;
  const isProtected = createMatcher(options.globs);
  const format = (await git(repositoryRoot, ["rev-parse", "--show-object-format"])).stdout.trim() || "sha1";
  const listing = await git(repositoryRoot, [
    "ls-tree",
    "-r",
    "-z",
    "--full-tree",
    commit,
    "--",
    prefix === "" ? "." : prefix,
  ]);
  const expected = new Map<string, string>();
  const tracked: string[] = [];
  for (const entry of listing.stdout.split("\0")) {
    // "<mode> <type> <id>\t<path>"
    const tab = entry.indexOf("\t");
    if (tab === -1) continue;
    const [, type, id] = entry.slice(0, tab).split(" ");
    const path = prefix === "" ? entry.slice(tab + 1) : posix.relative(prefix, entry.slice(tab + 1));
    if (type !== "blob" || id === undefined || path.startsWith("../")) continue;
    tracked.push(path);
    if (isProtected(path)) expected.set(path, id);
  }
  return {
    commit,
    expected,
    mountPaths: coveringPaths(tracked, new Set(expected.keys())),
    async changed(directory) {
      const changed: string[] = [];
      for (const [path, id] of expected) {
        let content: Buffer;
        try {
          content = await readFile(join(directory, path));
        } catch {
          changed.push(path);
          continue;
        }
        if (blobId(content, format) !== id) changed.push(path);
      }
      return changed;
    },
  };
}

/** The top-most folders whose tracked files are all protected, and the protected files outside such folders. */
export function coveringPaths(tracked: readonly string[], protectedFiles: ReadonlySet<string>): string[] {
  const unprotectedBelow = new Set<string>();
  for (const file of tracked) {
    if (protectedFiles.has(file)) continue;
    for (let folder = posix.dirname(file); folder !== "."; folder = posix.dirname(folder))
      unprotectedBelow.add(folder);
  }
  const paths = new Set<string>();
  for (const file of protectedFiles) {
    let cover = file;
    for (let folder = posix.dirname(file); folder !== "."; folder = posix.dirname(folder)) {
      if (!unprotectedBelow.has(folder)) cover = folder;
    }
    paths.add(cover);
  }
  return [...paths].sort();
}
