import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { git, gitOutput } from "./git.js";
import { repositoryRootOf } from "./repository.js";

/** The researched directory's place in its repository, checked before a workspace is opened on it. */
export interface RepositoryLocation {
  /** The researched directory, resolved through links. */
  directory: string;
  repositoryRoot: string;
  /** The researched directory relative to the repository root, `""` at the root, with `/` separators. */
  prefix: string;
  /** The commit the repository's HEAD is at. */
  head: string;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

/** Finds the repository of the researched directory; fails when it is no folder, in no repository, or has no commit. */
export async function locateRepository(requestedDirectory: string): Promise<RepositoryLocation> {
  const requested = resolve(requestedDirectory);
  const info = await stat(requested).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new WorkspaceError({
      message: `The researched directory ${requested} does not exist or is not a folder`,
    });
  }
  const directory = await realpath(requested);
  const repositoryRoot = await repositoryRootOf(directory);
  if (repositoryRoot === undefined) {
    throw new WorkspaceError({
      message: `${directory} is not inside a git repository. Run \`git init && git add -A && git commit -m baseline\` there first.`,
    });
  }
  const prefix = toPosix(relative(repositoryRoot, directory));
  if (prefix.startsWith("..") || isAbsolute(prefix)) {
    throw new WorkspaceError({ message: `${directory} lies outside its repository ${repositoryRoot}` });
  }
  const head = await git(repositoryRoot, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], {
    allowExitCodes: [1],
  });
  if (head.exitCode !== 0) {
    throw new WorkspaceError({
      message: `The repository ${repositoryRoot} has no commits yet: commit the code to research first (git add -A && git commit -m baseline).`,
    });
  }
  return { directory, repositoryRoot, prefix, head: head.stdout.trim() };
}

/**
 * Makes the research's branch at HEAD unless it exists already (a resumed research), and refuses one checked out
 * somewhere, since the research moves it. Returns git's worktree listing, read on the way.
 */
export async function claimBranch(
  location: RepositoryLocation,
  branch: string,
  warnings: string[],
): Promise<string> {
  const { repositoryRoot, prefix, head } = location;
  const branchRef = `refs/heads/${branch}`;
  const worktreeList = await gitOutput(repositoryRoot, ["worktree", "list", "--porcelain"]);
  const checkedOutAt = worktreeList
    .split("\n\n")
    .find((block) => block.split("\n").includes(`branch ${branchRef}`))
    ?.split("\n")[0]
    ?.replace(/^worktree /, "");
  if (checkedOutAt !== undefined) {
    throw new WorkspaceError({
      message: `The branch ${branch} is checked out at ${checkedOutAt}; the research moves it, so switch that checkout to another branch first.`,
    });
  }
  const existing = await git(repositoryRoot, ["rev-parse", "--verify", "-q", `${branchRef}^{commit}`], {
    allowExitCodes: [1],
  });
  if (existing.exitCode !== 0) {
    await git(repositoryRoot, ["update-ref", branchRef, head, ""]);
    const dirty = await gitOutput(repositoryRoot, [
      "status",
      "--porcelain",
      "--",
      prefix === "" ? "." : prefix,
    ]);
    if (dirty.trim() !== "") {
      warnings.push(
        `The researched directory has uncommitted changes; the research starts from the last commit (${head.slice(0, 7)}) without them.`,
      );
    }
  }
  return worktreeList;
}

/** Adds `.autoresearch/` to the repository's own exclude file, so the state folder never shows as untracked. */
export async function ensureExcluded(root: string): Promise<void> {
  const common = resolve(root, await gitOutput(root, ["rev-parse", "--git-common-dir"]));
  const excludeFile = join(common, "info", "exclude");
  const current = existsSync(excludeFile) ? await readFile(excludeFile, "utf8") : "";
  if (current.split("\n").some((line) => line.trim() === ".autoresearch/")) return;
  await mkdir(join(common, "info"), { recursive: true });
  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  await appendFile(
    excludeFile,
    `${separator}# autoresearch state (ledger, logs, trial worktrees)\n.autoresearch/\n`,
  );
}
