import { mkdir, readdir, rm } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { type GitOptions, git, gitOutput } from "./git.js";
import { createGitShell, type GitShell } from "./git-shell.js";
import { plainDiffArguments } from "./hardened-git.js";
import { acquireLock } from "./lock.js";
import { claimBranch, ensureExcluded, locateRepository } from "./open-repository.js";
import { type ProtectedFiles, readProtectedFiles } from "./protected-files.js";
import { tagMessage } from "./tag.js";
import { openWorktree, type Worktree } from "./worktree.js";

export type { Worktree };

export interface OpenWorkspaceOptions {
  /** The researched directory: a repository's root or a folder inside one. */
  directory: string;
  tag: string;
  /**
   * Globs of protected files, relative to the researched directory. Their content is taken from the branch head
   * at opening, and from the research's baseline once the loop names it (`protectAgainst`).
   */
  protected: readonly string[];
}

/** The outcome of applying a trial's change onto another commit. */
export type MergeResult =
  | { type: "clean"; tree: string }
  | { type: "conflict"; files: string[]; reason?: string };

/**
 * A research run's place in the repository: the incumbent branch, the trial worktrees, the state folder.
 * Everything the loop does to git goes through here, and none of it touches the user's own checkout.
 */
export interface Workspace {
  /** The researched directory in the user's checkout. */
  readonly directory: string;
  readonly repositoryRoot: string;
  /** The researched directory relative to the repository root, `""` at the root, with `/` separators. */
  readonly prefix: string;
  readonly tag: string;
  readonly branch: string;
  /** `.autoresearch/<tag>` inside the researched directory. */
  readonly stateDirectory: string;
  /** The researched directory inside the first slot's worktree (`worktree("trial")`). */
  readonly trialDirectory: string;
  /** Problems worth a warning that do not stop the research (e.g. uncommitted changes left out). */
  readonly warnings: readonly string[];
  branchHead(): Promise<string>;
  /** The worktree called `name`, made on first use; `trial` is the first slot's. */
  worktree(name: string): Promise<Worktree>;
  /**
   * Applies the change from `base` to `commit` onto `onto` with git's three-way merge, without touching any
   * worktree: the merged tree, or the files that conflict.
   */
  merge(options: { base: string; commit: string; onto: string }): Promise<MergeResult>;
  /** Commits `tree` on top of `parent` and points the trial's ref at it. */
  commitTree(options: { tree: string; parent: string; trial: number; message: string }): Promise<string>;
  /** Puts the first worktree at exactly `commit` (see {@link Worktree.checkout}). */
  checkout(commit: string): Promise<void>;
  /** Stages every change in the first worktree (see {@link Worktree.stage}). */
  stage(): Promise<string[]>;
  /** Commits what is staged in the first worktree on top of `parent` and points the trial's ref at it. */
  commit(options: { parent: string; trial: number; message: string }): Promise<string>;
  /** Points the trial ref at an existing commit (the baseline). */
  markTrial(trial: number, commit: string): Promise<void>;
  /** Moves the incumbent branch from `from` to `to`; fails if someone else moved it. */
  advance(options: { from: string; to: string }): Promise<void>;
  /** Every trial ref of the tag: trial number to commit. */
  trialRefs(): Promise<Map<number, string>>;
  /** Is `ancestor` an ancestor of (or equal to) `commit`? */
  isAncestor(ancestor: string, commit: string): Promise<boolean>;
  diff(from: string, to: string): Promise<string>;
  /** Protected files of the first worktree whose content differs from the reference commit's. */
  changedProtectedFiles(): Promise<string[]>;
  /** Takes the protected files' content from `commit` (the research's baseline) from now on. */
  protectAgainst(commit: string): Promise<void>;
  /** The protected files as absolute paths in the first worktree (see {@link Worktree.protectedPaths}). */
  protectedPaths(): string[];
  /** Blob ids of the protected files at `commit` that differ from the reference (paths relative to the directory). */
  protectedFilesChangedAt(commit: string): Promise<string[]>;
  release(): Promise<void>;
}

/** Author and committer for commits made here, when the repository configures none. */
export async function identityEnvironment(root: string): Promise<Record<string, string>> {
  const configured = async (key: string) =>
    (await git(root, ["config", "--get", key], { allowExitCodes: [1] })).stdout.trim();
  const [name, email] = await Promise.all([configured("user.name"), configured("user.email")]);
  const environment: Record<string, string> = {};
  if (name === "") {
    environment.GIT_AUTHOR_NAME = "autoresearch";
    environment.GIT_COMMITTER_NAME = "autoresearch";
  }
  if (email === "") {
    environment.GIT_AUTHOR_EMAIL = "autoresearch@localhost";
    environment.GIT_COMMITTER_EMAIL = "autoresearch@localhost";
  }
  return environment;
}

/** What the workspace's git operations share: the repository, the research's refs, the hot git shell. */
interface RepositoryContext {
  hot: GitShell;
  repositoryRoot: string;
  /** The researched directory relative to the repository root, `""` at the root. */
  prefix: string;
  tag: string;
  branchRef: string;
  identity: Record<string, string>;
  /** Globs of the protected files, relative to the researched directory. */
  globs: readonly string[];
}

/** The repository context, with the protected files as the research currently checks them. */
interface WorkspaceContext extends RepositoryContext {
  protectedFiles: ProtectedFiles;
}

/** Removes what a driver killed mid-write left behind; only safe while holding the tag's lock. */
async function clearLeftovers(stateDirectory: string, repositoryRoot: string, tag: string): Promise<void> {
  // A driver that exited mid-write (a second Ctrl-C, a kill) left its temporary files; we hold the lock now,
  // so they are nobody's.
  for (const folder of [stateDirectory, join(stateDirectory, "in-flight")]) {
    for (const entry of await readdir(folder).catch(() => [] as string[])) {
      if (entry.endsWith(".tmp")) await rm(join(folder, entry), { force: true });
    }
  }
  const common = resolve(repositoryRoot, await gitOutput(repositoryRoot, ["rev-parse", "--git-common-dir"]));
  // A driver killed in the middle of a git command leaves its lock files behind; we hold the tag's lock, so
  // nobody else can be using them.
  await rm(join(common, "refs", "heads", "autoresearch", `${tag}.lock`), { force: true });
}

/** A git command's standard output, through the hot shell. */
async function hotOutput(
  context: RepositoryContext,
  at: string,
  args: readonly string[],
  gitOptions?: GitOptions,
): Promise<string> {
  return (await context.hot.git(at, args, gitOptions)).stdout;
}

/** The commit the research's branch points at. */
async function branchHead(context: RepositoryContext): Promise<string> {
  return (await hotOutput(context, context.repositoryRoot, ["rev-parse", context.branchRef])).trim();
}

/** The protected files' content at `commit`. */
function readProtected(context: RepositoryContext, commit: string): Promise<ProtectedFiles> {
  const { hot, repositoryRoot, prefix, globs } = context;
  return readProtectedFiles({ git: hot.git, repositoryRoot, prefix, commit, globs });
}

/** Opens each named worktree once, on first use; a failed opening is forgotten so the next use tries again. */
function worktreeOpener(
  context: WorkspaceContext,
  stateDirectory: string,
  registered: Set<string>,
): (name: string) => Promise<Worktree> {
  const { hot, repositoryRoot, prefix, tag, branchRef, identity } = context;
  const worktrees = new Map<string, Promise<Worktree>>();
  return (name) => {
    let made = worktrees.get(name);
    if (made === undefined) {
      made = openWorktree(
        {
          hot,
          repositoryRoot,
          stateDirectory,
          prefix,
          tag,
          branchRef,
          identity,
          registered,
          protectedFiles: () => context.protectedFiles,
        },
        name,
      );
      worktrees.set(name, made);
      made.catch(() => worktrees.delete(name));
    }
    return made;
  };
}

/** Applies the change from `base` to `commit` onto `onto` with git's three-way merge, touching no worktree. */
async function mergeChange(
  context: RepositoryContext,
  { base, commit, onto }: { base: string; commit: string; onto: string },
): Promise<MergeResult> {
  const { hot, repositoryRoot, prefix } = context;
  // The branch only moves forward, so `base` (the incumbent the change was made on) is where `onto` and
  // the change meet; git finds it itself (`--merge-base` needs git 2.40), and a different one is refused.
  const found = await hot.git(repositoryRoot, ["merge-base", onto, commit], { allowExitCodes: [1] });
  if (found.stdout.trim() !== base) {
    return { type: "conflict", files: [], reason: `${base.slice(0, 7)} is not where they meet` };
  }
  const result = await hot.git(
    repositoryRoot,
    ["merge-tree", "--write-tree", "--no-messages", "--name-only", onto, commit],
    { allowExitCodes: [1] },
  );
  const [tree = "", ...files] = result.stdout.trim().split("\n");
  if (result.exitCode === 0) return { type: "clean", tree: tree.trim() };
  const toResearched = (file: string) => (prefix === "" ? file : posix.relative(prefix, file));
  return { type: "conflict", files: [...new Set(files.filter(Boolean).map(toResearched))] };
}

/** Every trial ref of the tag: trial number to commit. */
async function listTrialRefs(context: RepositoryContext): Promise<Map<number, string>> {
  const listing = await hotOutput(context, context.repositoryRoot, [
    "for-each-ref",
    "--format=%(refname) %(objectname)",
    `refs/autoresearch/${context.tag}/trials/`,
  ]);
  const refs = new Map<number, string>();
  for (const line of listing.split("\n")) {
    const [name, commit] = line.split(" ");
    const trial = Number(name?.split("/").pop());
    if (commit !== undefined && Number.isInteger(trial)) refs.set(trial, commit);
  }
  return refs;
}

/** The workspace's operations on commits and refs, none of which touches a worktree. */
function refOperations(
  context: RepositoryContext,
): Pick<
  Workspace,
  "branchHead" | "merge" | "commitTree" | "markTrial" | "advance" | "trialRefs" | "isAncestor" | "diff"
> {
  const { hot, repositoryRoot, tag, branchRef, identity } = context;
  return {
    branchHead: () => branchHead(context),
    merge: (mergeOptions) => mergeChange(context, mergeOptions),
    async commitTree({ tree, parent, trial, message }) {
      const commit = (
        await hotOutput(context, repositoryRoot, ["commit-tree", tree, "-p", parent, "-m", message], {
          env: identity,
        })
      ).trim();
      await hot.git(repositoryRoot, ["update-ref", `refs/autoresearch/${tag}/trials/${trial}`, commit]);
      return commit;
    },
    async markTrial(trial, commit) {
      await hot.git(repositoryRoot, ["update-ref", `refs/autoresearch/${tag}/trials/${trial}`, commit]);
    },
    async advance({ from, to }) {
      await hot.git(repositoryRoot, [
        "update-ref",
        "-m",
        `autoresearch: keep ${to.slice(0, 7)}`,
        branchRef,
        to,
        from,
      ]);
    },
    trialRefs: () => listTrialRefs(context),
    async isAncestor(ancestor, commit) {
      const result = await hot.git(repositoryRoot, ["merge-base", "--is-ancestor", ancestor, commit], {
        allowExitCodes: [1],
      });
      return result.exitCode === 0;
    },
    diff: (from, to) => hotOutput(context, repositoryRoot, ["diff", ...plainDiffArguments, from, to]),
  };
}

/** The operations on the protected files' reference content. */
function protectionOperations(
  context: WorkspaceContext,
): Pick<Workspace, "protectAgainst" | "protectedFilesChangedAt"> {
  return {
    async protectAgainst(commit) {
      if (commit !== context.protectedFiles.commit)
        context.protectedFiles = await readProtected(context, commit);
    },
    async protectedFilesChangedAt(commit) {
      const at = await readProtected(context, commit);
      const { expected } = context.protectedFiles;
      const names = new Set([...expected.keys(), ...at.expected.keys()]);
      return [...names].filter((name) => expected.get(name) !== at.expected.get(name)).sort();
    },
  };
}

/** Opens (or resumes) the workspace of a tag: validates the repository, takes the lock, prepares the worktree. */
export async function openWorkspace(options: OpenWorkspaceOptions): Promise<Workspace> {
  const { tag } = options;
  const badTag = tagMessage(tag);
  if (badTag !== undefined) throw new ConfigurationError({ field: "tag", message: badTag });
  const location = await locateRepository(options.directory);
  const { directory, repositoryRoot, prefix } = location;
  const branch = `autoresearch/${tag}`;
  const warnings: string[] = [];
  const worktreeList = await claimBranch(location, branch, warnings);

  const stateDirectory = join(directory, ".autoresearch", tag);
  await mkdir(join(stateDirectory, "logs"), { recursive: true });
  await ensureExcluded(repositoryRoot);
  const releaseLock = await acquireLock(join(stateDirectory, "lock"));

  try {
    await clearLeftovers(stateDirectory, repositoryRoot, tag);
    const identity = await identityEnvironment(repositoryRoot);
    const registered = new Set(
      worktreeList
        .split("\n")
        .filter((line) => line.startsWith("worktree "))
        .map((line) => line.slice("worktree ".length)),
    );
    const hot = createGitShell();
    const repository: RepositoryContext = {
      hot,
      repositoryRoot,
      prefix,
      tag,
      branchRef: `refs/heads/${branch}`,
      identity,
      globs: options.protected,
    };
    // Protected files cannot change through a valid proposal, so their content is the same for every trial: that
    // of the research's baseline, compared after each run.
    const initialHead = await branchHead(repository);
    const context: WorkspaceContext = {
      ...repository,
      protectedFiles: await readProtected(repository, initialHead),
    };
    const worktree = worktreeOpener(context, stateDirectory, registered);
    const first = await worktree("trial");
    await first.checkout(initialHead);

    return {
      directory,
      repositoryRoot,
      prefix,
      tag,
      branch,
      stateDirectory,
      trialDirectory: first.directory,
      warnings,
      worktree,
      ...refOperations(context),
      checkout: (commit) => first.checkout(commit),
      stage: () => first.stage(),
      commit: (commitOptions) => first.commit(commitOptions),
      changedProtectedFiles: () => first.changedProtectedFiles(),
      ...protectionOperations(context),
      protectedPaths: () => first.protectedPaths(),
      async release() {
        hot.close();
        await releaseLock();
      },
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}
