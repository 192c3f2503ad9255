import { existsSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, realpath, rm, stat } from "node:fs/promises";
import { isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { ConfigurationError, WorkspaceError } from "../errors/autoresearch-error.js";
import { type GitOptions, git, gitOutput } from "./git.js";
import { createGitShell } from "./git-shell.js";
import { plainDiffArguments } from "./hardened-git.js";
import { acquireLock } from "./lock.js";
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

function toPosix(path: string): string {
  return path.split(sep).join("/");
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

async function ensureExcluded(root: string): Promise<void> {
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

/** Opens (or resumes) the workspace of a tag: validates the repository, takes the lock, prepares the worktree. */
export async function openWorkspace(options: OpenWorkspaceOptions): Promise<Workspace> {
  const { tag } = options;
  const badTag = tagMessage(tag);
  if (badTag !== undefined) throw new ConfigurationError({ field: "tag", message: badTag });
  const requested = resolve(options.directory);
  const info = await stat(requested).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new WorkspaceError({
      message: `The researched directory ${requested} does not exist or is not a folder`,
    });
  }
  const directory = await realpath(requested);
  const probe = await git(directory, ["rev-parse", "--show-toplevel"], { allowExitCodes: [128] });
  if (probe.exitCode !== 0 || probe.stdout.trim() === "") {
    throw new WorkspaceError({
      message: `${directory} is not inside a git repository. Run \`git init && git add -A && git commit -m baseline\` there first.`,
    });
  }
  const repositoryRoot = await realpath(probe.stdout.trim());
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
  const branch = `autoresearch/${tag}`;
  const branchRef = `refs/heads/${branch}`;
  const warnings: string[] = [];

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
    await git(repositoryRoot, ["update-ref", branchRef, head.stdout.trim(), ""]);
    const dirty = await gitOutput(repositoryRoot, [
      "status",
      "--porcelain",
      "--",
      prefix === "" ? "." : prefix,
    ]);
    if (dirty.trim() !== "") {
      warnings.push(
        `The researched directory has uncommitted changes; the research starts from the last commit (${head.stdout.trim().slice(0, 7)}) without them.`,
      );
    }
  }

  const stateDirectory = join(directory, ".autoresearch", tag);
  await mkdir(join(stateDirectory, "logs"), { recursive: true });
  await ensureExcluded(repositoryRoot);
  const releaseLock = await acquireLock(join(stateDirectory, "lock"));

  try {
    // A driver that exited mid-write (a second Ctrl-C, a kill) left its temporary files; we hold the lock now,
    // so they are nobody's.
    for (const folder of [stateDirectory, join(stateDirectory, "in-flight")]) {
      for (const entry of await readdir(folder).catch(() => [] as string[])) {
        if (entry.endsWith(".tmp")) await rm(join(folder, entry), { force: true });
      }
    }
    const common = resolve(
      repositoryRoot,
      await gitOutput(repositoryRoot, ["rev-parse", "--git-common-dir"]),
    );
    // A driver killed in the middle of a git command leaves its lock files behind; we hold the tag's lock, so
    // nobody else can be using them.
    await rm(join(common, "refs", "heads", "autoresearch", `${tag}.lock`), { force: true });
    const identity = await identityEnvironment(repositoryRoot);
    const registered = new Set(
      worktreeList
        .split("\n")
        .filter((line) => line.startsWith("worktree "))
        .map((line) => line.slice("worktree ".length)),
    );

    const hot = createGitShell();
    const hotOutput = async (at: string, args: readonly string[], gitOptions?: GitOptions) =>
      (await hot.git(at, args, gitOptions)).stdout;
    const branchHead = async () => (await hotOutput(repositoryRoot, ["rev-parse", branchRef])).trim();
    const toResearched = (file: string) => (prefix === "" ? file : posix.relative(prefix, file));

    // Protected files cannot change through a valid proposal, so their content is the same for every trial: that
    // of the research's baseline, compared after each run.
    const readProtected = (commit: string) =>
      readProtectedFiles({ git: hot.git, repositoryRoot, prefix, commit, globs: options.protected });
    const initialHead = await branchHead();
    let protectedFiles: ProtectedFiles = await readProtected(initialHead);

    const worktrees = new Map<string, Promise<Worktree>>();
    const worktree = (name: string): Promise<Worktree> => {
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
            protectedFiles: () => protectedFiles,
          },
          name,
        );
        worktrees.set(name, made);
        made.catch(() => worktrees.delete(name));
      }
      return made;
    };
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
      branchHead,
      worktree,
      async merge({ base, commit, onto }) {
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
        return { type: "conflict", files: [...new Set(files.filter(Boolean).map(toResearched))] };
      },
      async commitTree({ tree, parent, trial, message }) {
        const commit = (
          await hotOutput(repositoryRoot, ["commit-tree", tree, "-p", parent, "-m", message], {
            env: identity,
          })
        ).trim();
        await hot.git(repositoryRoot, ["update-ref", `refs/autoresearch/${tag}/trials/${trial}`, commit]);
        return commit;
      },
      checkout: (commit) => first.checkout(commit),
      stage: () => first.stage(),
      commit: (commitOptions) => first.commit(commitOptions),
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
      async trialRefs() {
        const listing = await hotOutput(repositoryRoot, [
          "for-each-ref",
          "--format=%(refname) %(objectname)",
          `refs/autoresearch/${tag}/trials/`,
        ]);
        const refs = new Map<number, string>();
        for (const line of listing.split("\n")) {
          const [name, commit] = line.split(" ");
          const trial = Number(name?.split("/").pop());
          if (commit !== undefined && Number.isInteger(trial)) refs.set(trial, commit);
        }
        return refs;
      },
      async isAncestor(ancestor, commit) {
        const result = await hot.git(repositoryRoot, ["merge-base", "--is-ancestor", ancestor, commit], {
          allowExitCodes: [1],
        });
        return result.exitCode === 0;
      },
      diff: (from, to) => hotOutput(repositoryRoot, ["diff", ...plainDiffArguments, from, to]),
      changedProtectedFiles: () => first.changedProtectedFiles(),
      async protectAgainst(commit) {
        if (commit !== protectedFiles.commit) protectedFiles = await readProtected(commit);
      },
      protectedPaths: () => first.protectedPaths(),
      async protectedFilesChangedAt(commit) {
        const at = await readProtected(commit);
        const names = new Set([...protectedFiles.expected.keys(), ...at.expected.keys()]);
        return [...names]
          .filter((name) => protectedFiles.expected.get(name) !== at.expected.get(name))
          .sort();
      },
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
