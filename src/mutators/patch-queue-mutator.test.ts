import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { Proposal, ProposeOptions } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import { createProposeOptions } from "../testing/propose-options.js";
import { createTrialRecord } from "../testing/trial-record.js";
import { createPatchQueueMutator, describePatch, patchPaths } from "./patch-queue-mutator.js";

let root: string;
let repository: string;
let worktree: string;
let patches: string;

const git = (cwd: string, ...args: string[]) =>
  execa("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], { cwd });

const config = '{\n  "learning_rate": 0.002,\n  "hidden_size": 64\n}\n';
const train = "LR = 0.01\nDEPTH = 4\n";

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "patch-queue-"));
  repository = join(root, "repository");
  patches = join(root, "patches");
  await mkdir(join(repository, "research"), { recursive: true });
  await mkdir(patches);
  await writeFile(join(repository, "README.md"), "top level\n");
  await writeFile(join(repository, "research", "config.json"), config);
  await writeFile(join(repository, "research", "train.py"), train);
  await git(repository, "init", "-q", "-b", "main");
  await git(repository, "add", ".");
  await git(repository, "commit", "-q", "-m", "initial");

  // Patches made the ways people make them: `git diff` at the top level, `git diff --relative` in the
  // sub-folder, and `git format-patch`.
  await writeFile(join(repository, "research", "config.json"), config.replace("0.002", "0.004"));
  await writeFile(join(patches, "01-rate.patch"), (await git(repository, "diff")).stdout + "\n");
  await git(repository, "checkout", "--", ".");

  await writeFile(join(repository, "research", "train.py"), train.replace("DEPTH = 4", "DEPTH = 6"));
  await writeFile(join(repository, "research", "notes.md"), "deeper\n");
  await git(repository, "add", "-N", "research/notes.md");
  const relative = (await git(join(repository, "research"), "diff", "--relative")).stdout;
  await writeFile(join(patches, "2-depth.diff"), `Make the model deeper\n\n${relative}\n`);
  await git(repository, "reset", "-q", "--hard");
  await rm(join(repository, "research", "notes.md"), { force: true });

  await writeFile(join(repository, "research", "config.json"), config.replace("64", "128"));
  await git(repository, "commit", "-q", "-am", "Widen the hidden layer");
  await writeFile(
    join(patches, "10-wide.patch"),
    (await git(repository, "format-patch", "-1", "--stdout")).stdout + "\n",
  );
  await git(repository, "reset", "-q", "--hard", "HEAD~1");

  await writeFile(join(patches, "README.txt"), "not a patch\n");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// Each test gets a fresh worktree of the repository, as the research loop uses.
let worktreeCount = 0;
beforeEach(async () => {
  worktree = join(root, `worktree-${++worktreeCount}`);
  await git(repository, "worktree", "add", "-q", "--detach", worktree, "HEAD");
});

afterEach(async () => {
  await git(repository, "worktree", "remove", "--force", worktree);
});

function options(trial: number, history: TrialRecord[], extra: Partial<ProposeOptions> = {}): ProposeOptions {
  return createProposeOptions({ directory: join(worktree, "research"), trial, history, ...extra });
}

function record(id: number, proposal: Proposal): TrialRecord {
  const metadata = proposal.type === "exhausted" ? undefined : proposal.metadata;
  return createTrialRecord({
    id,
    kind: "proposal",
    status: proposal.type === "failed" ? "invalid" : "discard",
    proposer: metadata === undefined ? { name: "patch-queue" } : { name: "patch-queue", metadata },
  });
}

async function discard() {
  await git(worktree, "checkout", "--", ".");
  await git(worktree, "clean", "-qfd");
}

describe("createPatchQueueMutator", () => {
  it("applies a folder's patches in name order, from the top level or relative to the directory", async () => {
    const mutator = createPatchQueueMutator({ patches });
    expect(mutator.name).toBe("patch-queue");
    const history: TrialRecord[] = [];
    const directory = join(worktree, "research");

    const first = await mutator.propose(options(1, history));
    expect(first).toEqual({
      type: "edit",
      description: "01-rate.patch",
      metadata: { patch: "01-rate.patch" },
    });
    expect(await readFile(join(directory, "config.json"), "utf8")).toBe(config.replace("0.002", "0.004"));
    history.push(record(1, first));
    await discard();

    const second = await mutator.propose(options(2, history));
    expect(second).toEqual({
      type: "edit",
      description: "Make the model deeper",
      metadata: { patch: "2-depth.diff" },
    });
    expect(await readFile(join(directory, "train.py"), "utf8")).toBe("LR = 0.01\nDEPTH = 6\n");
    expect(await readFile(join(directory, "notes.md"), "utf8")).toBe("deeper\n");
    history.push(record(2, second));
    await discard();

    const third = await mutator.propose(options(3, history));
    expect(third).toEqual({
      type: "edit",
      description: "Widen the hidden layer",
      metadata: { patch: "10-wide.patch" },
    });
    expect(await readFile(join(directory, "config.json"), "utf8")).toBe(config.replace("64", "128"));
    history.push(record(3, third));

    expect(await mutator.propose(options(4, history))).toEqual({
      type: "exhausted",
      reason: "all 3 patches have been tried",
    });
    // Nothing outside the researched directory was touched.
    expect((await git(worktree, "status", "--porcelain")).stdout).toBe(" M research/config.json");
  });

  it("reports a patch that does not apply with git's message and leaves the files as they were", async () => {
    await writeFile(join(worktree, "research", "config.json"), '{ "learning_rate": 1 }\n');
    await git(worktree, "commit", "-q", "-am", "diverge");
    const mutator = createPatchQueueMutator({ patches });
    const proposal = await mutator.propose(options(1, []));
    expect(proposal.type).toBe("failed");
    if (proposal.type !== "failed") return;
    expect(proposal.error).toMatch(/^01-rate\.patch: error: patch failed: research\/config\.json/);
    expect(proposal.metadata).toEqual({ patch: "01-rate.patch" });
    expect((await git(worktree, "status", "--porcelain")).stdout).toBe("");
    // The failed patch counts as tried: the queue moves on.
    const next = await mutator.propose(options(2, [record(1, proposal)]));
    expect(next.type === "edit" && next.metadata).toEqual({ patch: "2-depth.diff" });
  });

  it("resumes after the patches a ledger already holds", async () => {
    const history = [
      record(1, { type: "edit", description: "", metadata: { patch: "01-rate.patch" } }),
      record(2, { type: "failed", error: "", metadata: { patch: "2-depth.diff" } }),
      record(3, { type: "edit", description: "something else", metadata: { point: { a: 1 } } }),
    ];
    const proposal = await createPatchQueueMutator({ patches }).propose(options(4, history));
    expect(proposal.type === "edit" && proposal.metadata).toEqual({ patch: "10-wide.patch" });
  });

  it("runs patch functions and patch files from a list, in the list's order", async () => {
    const calls: string[] = [];
    const mutator = createPatchQueueMutator({
      cwd: patches,
      patches: [
        {
          name: "halve-rate",
          description: "Halve the learning rate",
          apply: async ({ directory }) => {
            calls.push(directory);
            const path = join(directory, "config.json");
            await writeFile(path, (await readFile(path, "utf8")).replace("0.002", "0.001"));
          },
        },
        "10-wide.patch",
        {
          name: "broken",
          apply: () => {
            throw new Error("cannot edit");
          },
        },
      ],
    });
    const history: TrialRecord[] = [];
    const first = await mutator.propose(options(1, history));
    expect(first).toEqual({
      type: "edit",
      description: "Halve the learning rate",
      metadata: { patch: "halve-rate" },
    });
    expect(calls).toEqual([join(worktree, "research")]);
    history.push(record(1, first));
    await discard();
    const second = await mutator.propose(options(2, history));
    expect(second.type === "edit" && second.description).toBe("Widen the hidden layer");
    history.push(record(2, second));
    await discard();
    const third = await mutator.propose(options(3, history));
    expect(third).toEqual({ type: "failed", error: "broken: cannot edit", metadata: { patch: "broken" } });
    history.push(record(3, third));
    expect((await mutator.propose(options(4, history))).type).toBe("exhausted");
  });

  it("declines to repair and reports an empty folder as exhausted", async () => {
    const empty = join(root, "empty");
    await mkdir(empty);
    const crashed = record(1, { type: "edit", description: "" });
    expect(
      (
        await createPatchQueueMutator({ patches }).propose(
          options(2, [crashed], { repair: { trial: crashed, logTail: "", attempt: 1 } }),
        )
      ).type,
    ).toBe("failed");
    expect(await createPatchQueueMutator({ patches: empty }).propose(options(1, []))).toEqual({
      type: "exhausted",
      reason: "the patch queue is empty",
    });
  });

  it("rejects a missing folder, a missing file and duplicate names", () => {
    expect(() => createPatchQueueMutator({ patches: join(root, "nowhere") })).toThrow(
      /Invalid `patches`: expected a folder/,
    );
    expect(() => createPatchQueueMutator({ patches: [join(root, "missing.patch")] })).toThrow(
      /Invalid `patches\.0`/,
    );
    const apply = () => {};
    expect(() =>
      createPatchQueueMutator({
        patches: [
          { name: "a", apply },
          { name: "a", apply },
        ],
      }),
    ).toThrow(/unique patch names, got `a` twice/);
    expect(() => createPatchQueueMutator({ patches: [{ name: "a", apply: "no" as never }] })).toThrow(
      ConfigurationError,
    );
  });
});

describe("describePatch and patchPaths", () => {
  it("reads a subject, a first line of prose, or nothing", () => {
    expect(
      describePatch(
        "From abc Mon Sep 17 00:00:00 2001\nSubject: [PATCH 2/3] Use a\n wider layer\n\nbody\n---\ndiff --git a/x b/x\n",
      ),
    ).toBe("Use a wider layer");
    expect(describePatch("\nTry tanh\n\ndiff --git a/x b/x\n")).toBe("Try tanh");
    expect(describePatch("diff --git a/x b/x\n--- a/x\n+++ b/x\n")).toBeUndefined();
  });

  it("lists paths without prefixes, timestamps or /dev/null", () => {
    expect(
      patchPaths("--- a/src/x.ts\t2024-01-01\n+++ b/src/x.ts\n--- /dev/null\n+++ b/new file.ts\n"),
    ).toEqual(["src/x.ts", "new file.ts"]);
  });
});
