import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createGitShell } from "./git-shell.js";
import { removeNestedRepositories, resetTrialSurface } from "./trial-surface.js";

const identity = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};
const git = (directory: string, ...args: string[]) =>
  execFileSync("git", args, {
    cwd: directory,
    env: { ...process.env, ...identity },
    encoding: "utf8",
  }).trim();

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function worktree() {
  const root = mkdtempSync(join(tmpdir(), "autoresearch-surface-"));
  roots.push(root);
  const repository = join(root, "repository");
  mkdirSync(repository);
  git(repository, "init", "-q", "-b", "main");
  writeFileSync(join(repository, ".gitignore"), "cache/\n*.pyc\n");
  writeFileSync(join(repository, "data.txt"), "the data\n");
  writeFileSync(join(repository, "evaluate.py"), "print('score: 1')\n");
  git(repository, "add", "-A");
  git(repository, "commit", "-q", "-m", "initial");
  const trial = join(root, "trial");
  git(repository, "worktree", "add", "-q", "--detach", trial, "HEAD");
  const commit = git(repository, "rev-parse", "HEAD");
  const gitLink = readFileSync(join(trial, ".git"), "utf8");
  return { repository, trial, commit, gitLink };
}

describe("resetTrialSurface", () => {
  it("leaves exactly the commit: index flags cleared, ignored files, nested repositories and a replaced .git link gone", async () => {
    const { trial, commit, gitLink } = worktree();
    // What an unconfined run could leave: changes hidden by index flags, ignored files, a nested repository,
    // and its own repository where the worktree's link was.
    git(trial, "update-index", "--assume-unchanged", "data.txt");
    git(trial, "update-index", "--skip-worktree", "evaluate.py");
    // Both flags on one file: `ls-files -v` shows it as `s`.
    git(trial, "update-index", "--assume-unchanged", "--skip-worktree", ".gitignore");
    writeFileSync(join(trial, ".gitignore"), "cache/\n*.pyc\n# hidden change\n");
    writeFileSync(join(trial, "data.txt"), "poisoned\n");
    writeFileSync(join(trial, "evaluate.py"), "print('score: 0')\n");
    mkdirSync(join(trial, "cache"));
    writeFileSync(join(trial, "cache", "score.json"), "{}");
    writeFileSync(join(trial, "evaluate.cpython-312.pyc"), "forged");
    git(trial, "init", "-q", "nested");
    expect(git(trial, "status", "--porcelain")).toBe("?? nested/");

    const shell = createGitShell();
    try {
      await resetTrialSurface({ git: shell.git, worktree: trial, gitLink, commit });
      expect(readFileSync(join(trial, "data.txt"), "utf8")).toBe("the data\n");
      expect(readFileSync(join(trial, "evaluate.py"), "utf8")).toBe("print('score: 1')\n");
      expect(readFileSync(join(trial, ".gitignore"), "utf8")).toBe("cache/\n*.pyc\n");
      expect(existsSync(join(trial, "cache"))).toBe(false);
      expect(existsSync(join(trial, "evaluate.cpython-312.pyc"))).toBe(false);
      expect(existsSync(join(trial, "nested"))).toBe(false);
      expect(git(trial, "ls-files", "-v")).toBe("H .gitignore\nH data.txt\nH evaluate.py");

      rmSync(join(trial, ".git"));
      mkdirSync(join(trial, ".git"));
      writeFileSync(join(trial, ".git", "config"), "[core]\n\tfsmonitor = touch pwned\n");
      await resetTrialSurface({ git: shell.git, worktree: trial, gitLink, commit });
      expect(readFileSync(join(trial, ".git"), "utf8")).toBe(gitLink);
      expect(existsSync(join(trial, "pwned"))).toBe(false);

      // A FIFO where the link was would block a plain read forever.
      rmSync(join(trial, ".git"));
      execFileSync("mkfifo", [join(trial, ".git")]);
      await resetTrialSurface({ git: shell.git, worktree: trial, gitLink, commit });
      expect(readFileSync(join(trial, ".git"), "utf8")).toBe(gitLink);
    } finally {
      shell.close();
    }
  });
});

describe("removeNestedRepositories", () => {
  it("removes every .git but the worktree's own, in any letter case and at any depth", async () => {
    const { trial } = worktree();
    mkdirSync(join(trial, "a", "b", ".git"), { recursive: true });
    mkdirSync(join(trial, "c"), { recursive: true });
    writeFileSync(join(trial, "c", ".GIT"), "gitdir: /elsewhere\n");
    const removed = await removeNestedRepositories(trial, trial);
    expect(removed.sort()).toEqual(["a/b/.git", "c/.GIT"]);
    expect(existsSync(join(trial, ".git"))).toBe(true);
    expect(existsSync(join(trial, "a", "b"))).toBe(true);
  });
});
