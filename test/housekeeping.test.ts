import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

const cli = resolve("dist/cli.js");

function runCli(args: string[], cwd: string, input?: string) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: "utf8",
    input: input ?? "",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

function research(): string {
  return createRepository({
    "params.json": '{ "x": 1 }\n',
    "score.js": 'const { x } = require("./params.json"); console.log("score: " + Math.abs(x - 7));\n',
    "autoresearch.config.ts": `export default {
      tag: "a",
      runner: { command: "node score.js" },
      objective: { metric: "score", direction: "minimize" },
      mutator: { searchSpace: { file: "params.json", space: { x: { type: "int", min: 0, max: 20 } } } },
      scope: { editable: ["params.json"], protected: ["score.js"] },
    };`,
  });
}

const refs = (directory: string, prefix: string) =>
  gitSync(directory, "for-each-ref", "--format=%(refname)", prefix).split("\n").filter(Boolean);

describe("housekeeping commands", () => {
  it("starts a tag from another's best, compares the two, and cleans one without touching anything else", async () => {
    const directory = research();
    gitSync(directory, "branch", "feature");
    expect(runCli(["run", "--max-trials", "4"], directory).status).toBe(0);
    const bestOfA = gitSync(directory, "rev-parse", "autoresearch/a");

    const missing = runCli(["run", "--tag", "b", "--from", "nope"], directory);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("there is no branch autoresearch/nope to start from");
    const started = runCli(["run", "--tag", "b", "--from", "a", "--max-trials", "3"], directory);
    expect(started.status, started.stderr).toBe(0);
    const b = await readLedgerFile(join(directory, ".autoresearch/b/ledger.jsonl"));
    // b's baseline is a's best: the code it started from.
    expect(b[0]?.kind).toBe("baseline");
    expect(b[0]?.commit).toBe(bestOfA);
    const again = runCli(["run", "--tag", "a", "--from", "b"], directory);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain("The tag a already exists and did not start from b");

    const compared = runCli(["compare", "a", "b"], directory);
    expect(compared.status, compared.stderr).toBe(0);
    expect(compared.stdout).toMatch(/^compare a and b in /);
    expect(compared.stdout).toMatch(/\ntrials +4, the baseline included +3, the baseline included\n/);
    expect(compared.stdout).toContain(
      `The diff from the best of a (${bestOfA.slice(0, 7)}) to the best of b (`,
    );
    const json = JSON.parse(runCli(["compare", "a", "b", "--json"], directory).stdout) as {
      tags: { tag: string; bestCommit: string | null; data: { trials: number } }[];
      diff: string;
    };
    expect(json.tags.map((side) => [side.tag, side.data.trials])).toEqual([
      ["a", 4],
      ["b", 3],
    ]);
    const bestOfB = gitSync(directory, "rev-parse", "autoresearch/b");
    expect(json.tags[1]?.bestCommit).toBe(bestOfB);
    expect(json.diff).toBe(bestOfA === bestOfB ? "" : gitSync(directory, "diff", bestOfA, bestOfB));

    const declined = runCli(["clean", "a"], directory, "n\n");
    expect(declined.status).toBe(1);
    expect(declined.stdout).toContain("the branch autoresearch/a");
    expect(declined.stdout).toContain("Nothing removed.");
    expect(refs(directory, "refs/heads/autoresearch/a")).toHaveLength(1);

    const cleaned = runCli(["clean", "a"], directory, "yes\n");
    expect(cleaned.status, cleaned.stderr).toBe(0);
    expect(refs(directory, "refs/heads/autoresearch/a")).toEqual([]);
    expect(refs(directory, "refs/autoresearch/a/")).toEqual([]);
    expect(existsSync(join(directory, ".autoresearch/a"))).toBe(false);
    expect(gitSync(directory, "worktree", "list")).not.toContain(".autoresearch/a/");
    // Everything else stays: the other tag, the user's branches and checkout.
    expect(refs(directory, "refs/heads/").sort()).toEqual([
      "refs/heads/autoresearch/b",
      "refs/heads/feature",
      "refs/heads/main",
    ]);
    expect(refs(directory, "refs/autoresearch/b/")).toHaveLength(3);
    expect(gitSync(directory, "status", "--porcelain")).toBe("");
    expect(readFileSync(join(directory, "params.json"), "utf8")).toBe('{ "x": 1 }\n');
  });

  it("refuses to clean a tag whose branch someone has checked out", () => {
    const directory = research();
    expect(runCli(["run", "--max-trials", "2"], directory).status).toBe(0);
    const checkout = join(mkdtempSync(join(tmpdir(), "autoresearch-checkout-")), "look");
    gitSync(directory, "worktree", "add", checkout, "autoresearch/a");
    const refused = runCli(["clean", "a", "--yes"], directory);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`The branch autoresearch/a is checked out at ${checkout}`);
    expect(refs(directory, "refs/autoresearch/a/")).toHaveLength(2);
    gitSync(directory, "worktree", "remove", checkout);
    const nothing = runCli(["clean", "zzz", "--yes"], directory);
    expect(nothing.status).toBe(0);
    expect(nothing.stdout).toContain("Nothing to clean: no research tagged zzz");
  });
});
