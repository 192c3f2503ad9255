import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { git } from "./git.js";
import { coveringPaths, readProtectedFiles } from "./protected-files.js";

describe("coveringPaths", () => {
  it("stands a folder for its files when all of them are protected, and lists the others one by one", () => {
    const tracked = [
      "train.py",
      "prepare.py",
      "data/a.bin",
      "data/shards/b.bin",
      "data/shards/c.bin",
      "eval/run.py",
      "eval/notes.md",
      "eval/fixtures/x.json",
    ];
    const protectedFiles = new Set([
      "prepare.py",
      "data/a.bin",
      "data/shards/b.bin",
      "data/shards/c.bin",
      "eval/run.py",
      "eval/fixtures/x.json",
    ]);
    expect(coveringPaths(tracked, protectedFiles)).toEqual([
      "data",
      "eval/fixtures",
      "eval/run.py",
      "prepare.py",
    ]);
  });
});

describe("readProtectedFiles", () => {
  const root = mkdtempSync(join(tmpdir(), "autoresearch-protected-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("mounts a folder whole only when every tracked file in it is protected, in a sub-folder research too", async () => {
    const files = ["lab/src/model.py", "lab/src/eval.py", "lab/data/a.bin", "lab/data/b.bin", "lab/train.py"];
    for (const file of files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), `${file}\n`);
    }
    const run = (...args: string[]) =>
      execFileSync("git", args, { cwd: root, stdio: "pipe" }).toString().trim();
    run("init", "-q", "-b", "main");
    run("add", "-A");
    run("-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "-m", "initial");
    const protectedFiles = await readProtectedFiles({
      git,
      repositoryRoot: root,
      prefix: "lab",
      commit: run("rev-parse", "HEAD"),
      globs: ["src/eval.py", "data/**"],
    });
    expect([...protectedFiles.expected.keys()].sort()).toEqual(["data/a.bin", "data/b.bin", "src/eval.py"]);
    // src/model.py stays editable, so src/ is not mounted read-only as a whole.
    expect(protectedFiles.mountPaths).toEqual(["data", "src/eval.py"]);
    expect(await protectedFiles.changed(join(root, "lab"))).toEqual([]);
    writeFileSync(join(root, "lab/src/eval.py"), "changed\n");
    expect(await protectedFiles.changed(join(root, "lab"))).toEqual(["src/eval.py"]);
  });
});
