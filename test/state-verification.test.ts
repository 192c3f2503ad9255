import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createMetricObjective,
  isTrialCount,
  type ResearchOptions,
  ResearchStateError,
  readLedgerFile,
  runResearch,
} from "../src/index.js";
import { MockMutator, MockRunner } from "../src/testing/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

/** A research of three trials on a small repository: the baseline (10), a keep (9), a discard (11). */
async function research() {
  const directory = createRepository({ "params.txt": "10\n", "evaluate.txt": "the evaluator\n" });
  let value = 10;
  const options = (extra: Partial<ResearchOptions> = {}): ResearchOptions => ({
    directory,
    tag: "t",
    mutator: new MockMutator({
      propose: () => {
        value = value === 10 ? 9 : 11;
        return { files: { "params.txt": `${value}\n` }, description: `params ${value}` };
      },
    }),
    runner: new MockRunner({
      run: (run) => `score: ${readFileSync(join(run.directory, "params.txt"), "utf8").trim()}\n`,
    }),
    objective: createMetricObjective({ metric: "score", direction: "minimize" }),
    scope: { editable: ["params.txt"], protected: ["evaluate.txt"] },
    stopWhen: isTrialCount(3),
    ...extra,
  });
  const summary = await runResearch(options());
  expect(summary.records.map((record) => record.status)).toEqual(["keep", "keep", "discard"]);
  const ledger = join(directory, ".autoresearch/t/ledger.jsonl");
  return { directory, options, summary, ledger };
}

/** Commits `files` on a fresh branch from `parent` through a temporary worktree; returns the commit. */
function commitFrom(directory: string, parent: string, files: Record<string, string>): string {
  const worktree = `${directory}-side`;
  gitSync(directory, "worktree", "add", "-q", "--detach", worktree, parent);
  for (const [file, content] of Object.entries(files)) writeFileSync(join(worktree, file), content);
  gitSync(worktree, "commit", "-q", "-am", "made by hand");
  const commit = gitSync(worktree, "rev-parse", "HEAD");
  gitSync(directory, "worktree", "remove", "--force", worktree);
  return commit;
}

describe("the state is checked on every start", () => {
  it("refuses a forged keep record, naming the record and how to continue", async () => {
    const { options, summary, ledger } = await research();
    const discarded = summary.records[2];
    // A forged keep of the discarded trial's commit, under a new number.
    appendFileSync(ledger, `${JSON.stringify({ ...discarded, id: 3, status: "keep", metric: 1 })}\n`);
    const error = await runResearch(options()).catch((caught: unknown) => caught);
    expect(ResearchStateError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /records trial 3 as kept at [0-9a-f]{7} \(line 4\), but refs\/autoresearch\/t\/trials\/3 is missing: autoresearch did not write that record\. Remove that line/,
    );
  });

  it("refuses a keep record changed to point at another commit", async () => {
    const { options, summary, ledger } = await research();
    const lines = readFileSync(ledger, "utf8").trim().split("\n");
    lines[1] = JSON.stringify({ ...summary.records[1], commit: summary.records[2]?.commit });
    writeFileSync(ledger, `${lines.join("\n")}\n`);
    const error = await runResearch(options()).catch((caught: unknown) => caught);
    expect(ResearchStateError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      `refs/autoresearch/t/trials/1 is ${summary.records[1]?.commit?.slice(0, 7)}`,
    );
  });

  it("refuses a branch something else moved, says how to move it back, and takes it as a new baseline when accepted", async () => {
    const { directory, options, summary } = await research();
    const kept = summary.records[1]?.commit as string;
    const moved = commitFrom(directory, kept, { "evaluate.txt": "a changed evaluator\n" });
    gitSync(directory, "update-ref", "refs/heads/autoresearch/t", moved);

    const error = await runResearch(options()).catch((caught: unknown) => caught);
    expect(ResearchStateError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      `The branch autoresearch/t is at ${moved.slice(0, 7)}, but the ledger's last kept trial 1 is ${kept.slice(0, 7)}: something other than autoresearch moved it. To continue from the ledger's state, move the branch back: \`git update-ref refs/heads/autoresearch/t ${kept}\`. To continue from the branch as it is, run again with \`--accept-branch\``,
    );
    expect(gitSync(directory, "rev-parse", "autoresearch/t")).toBe(moved);

    const warnings: string[] = [];
    const accepted = await runResearch({
      ...options({ acceptBranch: true, stopWhen: isTrialCount(5) }),
      onEvent: (event) => {
        if (event.type === "research-start") warnings.push(...event.warnings);
      },
    });
    expect(warnings.join("\n")).toContain(
      "accepted as it is (acceptBranch) and is measured as a new baseline",
    );
    expect(
      accepted.records.slice(3).map((record) => [record.kind, record.status, record.commit === moved]),
    ).toEqual([
      ["baseline", "keep", true],
      ["proposal", "discard", false],
    ]);
    // From now on the state agrees again: a plain start goes on.
    const again = await runResearch(options({ stopWhen: isTrialCount(6) }));
    expect(again.records).toHaveLength(6);
  });

  it("finishes a branch move that a killed driver recorded but did not make", async () => {
    const { directory, options, summary } = await research();
    gitSync(directory, "update-ref", "refs/heads/autoresearch/t", summary.records[0]?.commit as string);
    const resumed = await runResearch(options({ stopWhen: isTrialCount(3) }));
    expect(resumed.trials).toBe(0);
    expect(gitSync(directory, "rev-parse", "autoresearch/t")).toBe(summary.records[1]?.commit);
  });

  it("refuses a branch whose protected files differ from the baseline's, even when ledger and refs agree", async () => {
    const { directory, options, summary, ledger } = await research();
    const kept = summary.records[1]?.commit as string;
    const forged = commitFrom(directory, kept, { "evaluate.txt": "a changed evaluator\n" });
    // Everything an attacker outside the sandbox could forge at once: the ref, the record, the branch.
    gitSync(directory, "update-ref", "refs/autoresearch/t/trials/3", forged);
    appendFileSync(
      ledger,
      `${JSON.stringify({ ...summary.records[2], id: 3, parent: kept, commit: forged, status: "keep" })}\n`,
    );
    gitSync(directory, "update-ref", "refs/heads/autoresearch/t", forged);
    const error = await runResearch(options()).catch((caught: unknown) => caught);
    expect(ResearchStateError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      `changes protected files relative to the research's baseline ${summary.records[0]?.commit?.slice(0, 7)}: evaluate.txt`,
    );
    const records = await readLedgerFile(ledger);
    expect(records).toHaveLength(4);
  });
});
