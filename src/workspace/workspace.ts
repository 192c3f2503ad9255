import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, realpath, rm, stat } from "node:fs/promises";
import { isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { simpleGit } from "simple-git";
import { ConfigurationError, WorkspaceError } from "../errors/autoresearch-error.js";
import { type GitOptions, git, gitOutput } from "./git.js";
import { createGitShell } from "./git-shell.js";
import { acquireLock } from "./lock.js";
import { createMatcher } from "./scope.js";

export interface OpenWorkspaceOptions {
  /** The researched directory: a repository's root or a folder inside one. */
  directory: string;
  tag: string;
  /** Globs of protected files, relative to the researched directory; hashed once to detect tampering. */
  protected: readonly string[];
}

/**
 * A research run's place in the repository: the incumbent branch, the trial worktree, the state folder.
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
  /** The researched directory inside the trial worktree: where proposals edit and experiments run. */
  readonly trialDirectory: string;
  /** Problems worth a warning that do not stop the research (e.g. uncommitted changes left out). */
  readonly warnings: readonly string[];
  branchHead(): Promise<string>;
  /** Puts the trial worktree at `commit`, with no changes and no untracked files. */
  checkout(commit: string): Promise<void>;
  /** Stages every change in the worktree; returns the changed files relative to the researched directory. */
  stage(): Promise<string[]>;
  /** Commits what is staged on top of `parent` and points `refs/autoresearch/<tag>/trials/<trial>` at it. */
  commit(options: { parent: string; trial: number; message: string }): Promise<string>;
  /** Points the trial ref at an existing commit (the baseline). */
  markTrial(trial: number, commit: string): Promise<void>;
  /** Moves the incumbent branch from `from` to `to`; fails if someone else moved it. */
  advance(options: { from: string; to: string }): Promise<void>;
  /** Is `ancestor` an ancestor of (or equal to) `commit`? */
  isAncestor(ancestor: string, commit: string): Promise<boolean>;
  diff(from: string, to: string): Promise<string>;
  /** Protected files whose content differs from when the workspace was opened. */
  changedProtectedFiles(): Promise<string[]>;
  release(): Promise<void>;
}

const tagPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

async function hashFile(path: string): Promise<string> {
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
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
  if (!tagPattern.test(tag)) {
    throw new ConfigurationError({
      field: "tag",
      message: `Invalid \`tag\`: expected letters, digits, '.', '_' or '-' (starting with a letter or digit, at most 100), got \`${tag}\``,
    });
  }
  const requested = resolve(options.directory);
  const info = await stat(requested).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new WorkspaceError({
      message: `The researched directory ${requested} does not exist or is not a folder`,
    });
  }
  const directory = await realpath(requested);
  const probe = simpleGit({ baseDir: directory });
  if (!(await probe.checkIsRepo())) {
    throw new WorkspaceError({
      message: `${directory} is not inside a git repository. Run \`git init && git add -A && git commit -m baseline\` there first.`,
    });
  }
  const repositoryRoot = await realpath((await probe.revparse(["--show-toplevel"])).trim());
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
    const worktree = join(stateDirectory, "worktrees", "trial");
    const registered = worktreeList.split("\n").some((line) => line === `worktree ${worktree}`);
    if (!registered || !existsSync(join(worktree, ".git"))) {
      await rm(worktree, { recursive: true, force: true });
      await git(repositoryRoot, ["worktree", "prune"]);
      await git(repositoryRoot, ["worktree", "add", "--detach", "--force", worktree, branchRef]);
    }
    // A driver killed in the middle of a git command leaves its lock files behind; we hold the tag's lock, so
    // nobody else can be using them.
    const worktreeGitDirectory = resolve(worktree, await gitOutput(worktree, ["rev-parse", "--git-dir"]));
    const common = resolve(
      repositoryRoot,
      await gitOutput(repositoryRoot, ["rev-parse", "--git-common-dir"]),
    );
    await rm(join(worktreeGitDirectory, "index.lock"), { force: true });
    await rm(join(common, "refs", "heads", "autoresearch", `${tag}.lock`), { force: true });
    const trialDirectory = prefix === "" ? worktree : join(worktree, prefix);
    const identity = await identityEnvironment(repositoryRoot);

    const hot = createGitShell();
    const hotOutput = async (at: string, args: readonly string[], gitOptions?: GitOptions) =>
      (await hot.git(at, args, gitOptions)).stdout;
    const branchHead = async () => (await hotOutput(repositoryRoot, ["rev-parse", branchRef])).trim();
    const checkout = async (commit: string) => {
      await hot.git(worktree, ["reset", "--hard", "-q", commit]);
      await hot.git(worktree, ["clean", "-fdq"]);
    };

    // Protected files cannot change through a valid proposal, so their content is the same for every trial:
    // hash them once, from the incumbent, and compare after each run.
    await checkout(await branchHead());
    const isProtected = createMatcher(options.protected);
    const tracked = (await hotOutput(trialDirectory, ["ls-files", "-z", "--full-name"]))
      .split("\0")
      .filter(Boolean);
    const protectedFiles = tracked
      .map((file) => (prefix === "" ? file : posix.relative(prefix, file)))
      .filter((file) => !file.startsWith("../") && isProtected(file));
    const protectedHashes = new Map<string, string>();
    for (const file of protectedFiles) protectedHashes.set(file, await hashFile(join(trialDirectory, file)));

    return {
      directory,
      repositoryRoot,
      prefix,
      tag,
      branch,
      stateDirectory,
      trialDirectory,
      warnings,
      branchHead,
      checkout,
      async stage() {
        await hot.git(worktree, ["add", "-A"]);
        const names = await hotOutput(worktree, [
          "diff",
          "--cached",
          "--name-only",
          "--no-renames",
          "-z",
          "HEAD",
        ]);
        return names
          .split("\0")
          .filter(Boolean)
          .map((file) => (prefix === "" ? file : posix.relative(prefix, file)));
      },
      async commit({ parent, trial, message }) {
        const tree = (await hotOutput(worktree, ["write-tree"])).trim();
        const commit = (
          await hotOutput(worktree, ["commit-tree", tree, "-p", parent, "-m", message], { env: identity })
        ).trim();
        await hot.git(worktree, ["update-ref", `refs/autoresearch/${tag}/trials/${trial}`, commit]);
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
      async isAncestor(ancestor, commit) {
        const result = await hot.git(repositoryRoot, ["merge-base", "--is-ancestor", ancestor, commit], {
          allowExitCodes: [1],
        });
        return result.exitCode === 0;
      },
      diff: (from, to) => hotOutput(repositoryRoot, ["diff", from, to]),
      async changedProtectedFiles() {
        const changed: string[] = [];
        for (const [file, hash] of protectedHashes) {
          if ((await hashFile(join(trialDirectory, file))) !== hash) changed.push(file);
        }
        return changed;
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
