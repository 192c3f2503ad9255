import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const identity = {
  GIT_AUTHOR_NAME: "Test",
  GIT_AUTHOR_EMAIL: "test@example.invalid",
  GIT_COMMITTER_NAME: "Test",
  GIT_COMMITTER_EMAIL: "test@example.invalid",
};

/** Runs git in `directory` and returns its trimmed stdout. */
export function gitSync(directory: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: directory,
    env: { ...process.env, ...identity },
    encoding: "utf8",
  }).trim();
}

/** A fresh git repository in a temporary folder with `files` committed. */
export function createRepository(files: Record<string, string>, options: { prefix?: string } = {}): string {
  const directory = mkdtempSync(join(tmpdir(), options.prefix ?? "autoresearch-test-"));
  gitSync(directory, "init", "-q", "-b", "main");
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, file)), { recursive: true });
    writeFileSync(join(directory, file), content);
  }
  gitSync(directory, "add", "-A");
  gitSync(directory, "commit", "-q", "-m", "initial");
  return directory;
}
