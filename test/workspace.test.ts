import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigurationError, isTrialCount, runResearch, WorkspaceError } from "../src/index.js";
import { MockMutator, MockObjective, MockRunner } from "../src/testing/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

/** Every file of the user's checkout (not .git, not .autoresearch) with its bytes and mode. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (directory: string) => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name === ".git" || entry.name === ".autoresearch") continue;
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = `${statSync(path).mode}:${readFileSync(path, "base64")}`;
    }
  };
  walk(root);
  return files;
}

const counting = () => {
  let value = 0;
  return new MockMutator({
    propose: () => {
      value++;
      return { files: { "params.txt": `${value}\n` }, description: `params ${value}` };
    },
  });
};

describe("the workspace", () => {
  it("leaves the user's checkout byte-for-byte as it was, uncommitted changes included", async () => {
    const directory = createRepository({ "params.txt": "0\n", "train.py": "print(1)\n", "notes.md": "a\n" });
    writeFileSync(join(directory, "notes.md"), "a\nuncommitted edit\n");
    writeFileSync(join(directory, "scratch.txt"), "untracked\n");
    gitSync(directory, "checkout", "-q", "-b", "feature");
    const before = snapshot(directory);
    const statusBefore = gitSync(directory, "status", "--porcelain");
    const warnings: string[] = [];
    await runResearch({
      directory,
      tag: "checkout",
      mutator: counting(),
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: (_options, call) => 10 - call }),
      scope: { editable: ["params.txt"], protected: ["train.py"] },
      stopWhen: isTrialCount(3),
      onEvent: (event) => {
        if (event.type === "research-start") warnings.push(...event.warnings);
      },
    });
    expect(snapshot(directory)).toEqual(before);
    expect(gitSync(directory, "status", "--porcelain")).toBe(statusBefore);
    expect(gitSync(directory, "rev-parse", "--abbrev-ref", "HEAD")).toBe("feature");
    expect(warnings.join("\n")).toContain("uncommitted changes");
    expect(gitSync(directory, "show", "autoresearch/checkout:params.txt")).toBe("2");
  });

  it("finds a worktree's repository from the repository's side when its .git link was replaced", async () => {
    const directory = createRepository({ "params.txt": "0\n", "train.py": "print(1)\n" });
    const options = {
      directory,
      tag: "relink",
      mutator: counting(),
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: (_options: unknown, call: number) => 10 - call }),
      scope: { editable: ["params.txt"], protected: ["train.py"] },
    };
    await runResearch({ ...options, stopWhen: isTrialCount(2) });
    // What an unsandboxed run could leave before its driver died: the link aimed at a repository of its own.
    const decoy = createRepository({ "other.txt": "decoy\n" });
    const link = join(directory, ".autoresearch", "relink", "worktrees", "trial", ".git");
    const genuine = readFileSync(link, "utf8");
    writeFileSync(link, `gitdir: ${join(decoy, ".git")}\n`);
    const decoyRefs = gitSync(decoy, "for-each-ref");
    const summary = await runResearch({ ...options, stopWhen: isTrialCount(4) });
    expect(summary.records).toHaveLength(4);
    expect(readFileSync(link, "utf8")).toBe(genuine);
    expect(gitSync(decoy, "for-each-ref")).toBe(decoyRefs);
    expect(gitSync(directory, "show", "autoresearch/relink:params.txt")).toBe("3");
  });

  it("researches a sub-folder of a repository and refuses edits outside it", async () => {
    const root = createRepository({ "README.md": "root\n", "lab/params.txt": "0\n", "lab/eval.py": "x\n" });
    const directory = join(root, "lab");
    const mutator = new MockMutator({
      propose: [
        { files: { "params.txt": "1\n" }, description: "inside" },
        { files: { "../README.md": "changed\n" }, description: "outside the folder" },
      ],
    });
    const summary = await runResearch({
      directory,
      tag: "sub",
      mutator,
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: [5, 4] }),
      scope: { editable: ["**"], protected: ["eval.py"] },
      stopWhen: isTrialCount(3),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "keep", "invalid"]);
    expect(summary.records[1]?.changedFiles).toEqual(["params.txt"]);
    expect(summary.records[2]?.reason).toContain("../README.md");
    expect(
      readFileSync(join(directory, ".autoresearch/sub/ledger.jsonl"), "utf8").trim().split("\n"),
    ).toHaveLength(3);
    expect(gitSync(root, "show", "autoresearch/sub:lab/params.txt")).toBe("1");
  });

  it("works from a detached HEAD and in a path with spaces", async () => {
    const parent = mkdtempSync(join(tmpdir(), "autoresearch spaces "));
    const directory = join(parent, "my project");
    mkdirSync(directory);
    execFileSync("git", ["init", "-q", "-b", "main"], { cwd: directory });
    writeFileSync(join(directory, "params.txt"), "0\n");
    gitSync(directory, "add", "-A");
    gitSync(directory, "commit", "-q", "-m", "initial");
    gitSync(directory, "checkout", "-q", "--detach");
    const summary = await runResearch({
      directory,
      tag: "detached",
      mutator: counting(),
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: [3, 2] }),
      scope: { editable: ["params.txt"], protected: [] },
      stopWhen: isTrialCount(2),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "keep"]);
  });

  it("refuses an empty repository and a folder outside git with a clear message", async () => {
    const empty = mkdtempSync(join(tmpdir(), "autoresearch-empty-"));
    execFileSync("git", ["init", "-q"], { cwd: empty });
    const options = {
      tag: "x",
      mutator: counting(),
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: 1 }),
      scope: { editable: ["params.txt"], protected: [] },
    };
    await expect(runResearch({ ...options, directory: empty })).rejects.toThrow(/has no commits yet/);
    const plain = mkdtempSync(join(tmpdir(), "autoresearch-plain-"));
    const error = await runResearch({ ...options, directory: plain }).catch((caught: unknown) => caught);
    expect(WorkspaceError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("is not inside a git repository");
  });

  it("names the field, what was expected and what was got for wrong options", async () => {
    const directory = createRepository({ "a.txt": "a\n" });
    const error = await runResearch({
      directory,
      tag: "x",
      mutator: counting(),
      runner: { name: "broken" } as never,
      objective: new MockObjective({ measure: 1 }),
      scope: { editable: ["a.txt"], protected: [] },
      evaluation: { repeats: 0 },
    }).catch((caught: unknown) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain("Invalid `runner`: expected a runner (an object with a `run` method)");
    expect(message).toContain("Invalid `evaluation.repeats`: expected number to be >=1, got `0`");
  });

  it("refuses a second driver on the same tag and takes over a stale lock", async () => {
    const directory = createRepository({ "params.txt": "0\n" });
    const options = {
      directory,
      tag: "locked",
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({ measure: 1 }),
      scope: { editable: ["params.txt"], protected: [] },
      stopWhen: isTrialCount(1),
    };
    mkdirSync(join(directory, ".autoresearch/locked"), { recursive: true });
    const lock = join(directory, ".autoresearch/locked/lock");
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.pid, hostname: (await import("node:os")).hostname(), startedAt: "x" }),
    );
    await expect(runResearch({ ...options, mutator: counting() })).rejects.toThrow(/Another driver \(pid/);
    // A dead holder's lock is stale.
    writeFileSync(
      lock,
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        hostname: (await import("node:os")).hostname(),
        startedAt: "x",
      }),
    );
    const summary = await runResearch({ ...options, mutator: counting() });
    expect(summary.records).toHaveLength(1);
  });
});
