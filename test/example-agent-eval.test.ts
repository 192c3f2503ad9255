import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/index.js";

// The example installs promptfoo into its own folder on its first run (about 50 s and 300 MB; .ci/run does it
// before the tests). Without that install, outside CI, this test is skipped with a notice rather than installing.
const promptfoo = resolve("examples/agent-eval/node_modules/.bin/promptfoo");
const runnable = existsSync(promptfoo) || process.env.CI !== undefined;
if (!runnable) {
  console.log(
    "The agent-eval example's test is skipped: run `node examples/agent-eval/install.mjs` to include it.",
  );
}

describe.runIf(runnable)("the agent-eval example, with the real promptfoo CLI", () => {
  it("improves the dev pass rate, lets the holdout veto an overfit change, reports the sealed test and ablates", async () => {
    const directory = join(mkdtempSync(join(tmpdir(), "autoresearch-agent-eval-")), "work");
    const output = execFileSync(
      resolve("node_modules/.bin/tsx"),
      ["examples/agent-eval/run.ts", "--fresh", "--directory", directory],
      { encoding: "utf8", env: { ...process.env, AGENT_EVAL_LLM: "" }, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(output).toContain("trial 0  baseline pass_rate 0.1333");
    expect(output).toMatch(/trial 1 {2}keep {5}pass_rate 0\.3000 {2}\(\+0\.1667\) {2}\[cases \+5\/-0\]/);
    expect(output).toMatch(/trial 3 {2}discard {2}pass_rate 0\.4667 {2}\(±0\.0000\) {2}\[cases \+0\/-0\]/);
    expect(output).toContain("holdout at trial 4: 0.500 vs incumbent 0.667, regressed: discard");
    expect(output).toContain(
      "sealed test (pass_rate): best #6 0.8333 vs baseline #0 0.1667 (+0.6667); on 12 paired cases: 8 better, 0 worse",
    );
    expect(output).toContain("dev pass rate: 0.133 (baseline) -> 0.800 (best, trial 6)");
    expect(output).toContain('removable: #1 Route tickets that say "charged" to billing');

    const records = await readLedgerFile(join(directory, ".autoresearch", "agent-eval", "ledger.jsonl"));
    expect(records.map((record) => record.status)).toEqual([
      "keep",
      "keep",
      "keep",
      "discard",
      "discard",
      "keep",
      "keep",
    ]);
    // promptfoo exits with 100 when a test fails, which every run here has: measured, not crashed.
    expect(records[1]?.run?.exitCode).toBe(100);
    expect(records[1]?.comparison?.rule).toBe("paired-exact");
    expect(records[1]?.cases?.["charged twice"]).toEqual([1]);
    expect(records[4]?.reason).toContain("but the holdout regressed");
  }, 900_000);
});
