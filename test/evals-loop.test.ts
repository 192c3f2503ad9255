import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ResearchEvent } from "../src/index.js";
import {
  createCaseFileObjective,
  createCommandRunner,
  createPatchQueueMutator,
  formatStatusTable,
  isTrialCount,
  readStatus,
  runResearch,
  writeReport,
} from "../src/index.js";
import { createRepository } from "./helpers/repository.js";

// A home-made suite: a case passes when the agent "knows" it (agent.json) or it is easy; it writes one JSON line
// per case and, as promptfoo does, exits with 100 when some case failed.
const suite = `
const { readFileSync, writeFileSync, appendFileSync } = require("node:fs");
const split = process.argv[2];
const known = new Set(JSON.parse(readFileSync("agent.json", "utf8")).known);
const cases = { dev: ["d1","d2","d3","d4","d5","d6","d7","d8","d9","d10"], test: ["t1","t2","t3","t4","t5","t6"] }[split];
const easy = new Set(["d9", "d10", "t5", "t6"]);
const lines = cases.map((id) => JSON.stringify({ id, pass: easy.has(id) || known.has(id) || known.has("all-" + split) , cost: 0.01 }));
writeFileSync(split + ".jsonl", lines.join("\\n") + "\\n");
appendFileSync(process.env.RUNS_FILE, split + "\\n");
process.exit(lines.some((line) => line.includes('"pass":false')) ? 100 : 0);
`;

function knows(name: string, known: string[]) {
  return {
    name,
    apply: ({ directory }: { directory: string }) =>
      writeFileSync(join(directory, "agent.json"), `${JSON.stringify({ known }, null, 2)}\n`),
  };
}

describe("an eval suite as the research target", () => {
  it("pairs cases across trials, measures exit 100, and runs the sealed test once at the end", async () => {
    const directory = createRepository({
      "agent.json": `${JSON.stringify({ known: [] }, null, 2)}\n`,
      "suite.cjs": suite,
      ".gitignore": ".runs\n*.jsonl\n",
    });
    const objective = createCaseFileObjective({
      file: "dev.jsonl",
      metric: "pass_rate",
      measuredExitCodes: [100],
    });
    const events: ResearchEvent[] = [];
    // Every run appends its split here, outside the worktree (which each run starts clean), declared writable.
    const runsFolder = mkdtempSync(join(tmpdir(), "evals-runs-"));
    const runsFile = join(runsFolder, "runs");
    const options = {
      directory,
      tag: "evals",
      env: { RUNS_FILE: runsFile },
      sandbox: { writable: [runsFolder] },
      runner: createCommandRunner({ command: "node suite.cjs dev" }),
      objective,
      mutator: createPatchQueueMutator({
        patches: [
          knows("six dev cases", ["d1", "d2", "d3", "d4", "d5", "d6"]),
          // One case better, one worse than the incumbent: noise as far as the paired rule can tell.
          knows("swap d1 for d7", ["d2", "d3", "d4", "d5", "d6", "d7"]),
          // The same pass rate by other means: nothing turned.
          knows("reorder", ["d6", "d5", "d4", "d3", "d2", "d1"]),
        ],
      }),
      scope: { editable: ["agent.json"], protected: ["suite.cjs"] },
      stopWhen: isTrialCount(10),
      finalEvaluation: {
        runner: createCommandRunner({ command: "node suite.cjs test" }),
        objective: createCaseFileObjective({
          file: "test.jsonl",
          metric: "pass_rate",
          measuredExitCodes: [100],
        }),
      },
    };
    const summary = await runResearch({ ...options, onEvent: (event) => events.push(event) });

    const [baseline, six, swap, reorder] = summary.records;
    expect(baseline?.status).toBe("keep");
    expect(baseline?.metric).toBe(0.2);
    expect(baseline?.cases?.d10).toEqual([1]);
    expect(six?.status).toBe("keep");
    expect(six?.comparison?.rule).toBe("paired-exact");
    expect(six?.comparison?.flips).toEqual({ improved: ["d1", "d2", "d3", "d4", "d5", "d6"], regressed: [] });
    expect(six?.comparison?.statistics?.p).toBeCloseTo(1 / 64, 12);
    expect(swap?.status).toBe("discard");
    expect(swap?.comparison?.flips).toEqual({ improved: ["d7"], regressed: ["d1"] });
    expect(swap?.reason).toContain("1 better, 1 worse; exact p=0.75 >= 0.05: discarded");
    expect(reorder?.status).toBe("discard");
    expect(reorder?.comparison?.statistics?.improvedCases).toBe(0);

    // The sealed test: the test split, on the best (trial 1) and the baseline, after the last trial.
    const sealed = summary.finalEvaluation;
    expect(sealed?.best).toMatchObject({ trial: 1, metric: 2 / 6, samples: [2 / 6] });
    expect(sealed?.baseline).toMatchObject({ trial: 0, metric: 2 / 6 });
    expect(sealed?.comparison?.statistics?.pairedCases).toBe(6);
    const order = events
      .map((event) => event.type)
      .filter((type) => type.startsWith("final") || type === "research-end");
    expect(order).toEqual(["final-evaluation-start", "final-evaluation-end", "research-end"]);
    const runs = () => readFileSync(runsFile, "utf8");
    // Never run on the test split before the end: the proposer and the decisions never saw it.
    expect(runs().trim().split("\n").slice(0, -2)).not.toContain("test");
    expect(runs().trim().split("\n").slice(-2)).toEqual(["test", "test"]);

    const status = await readStatus({ directory, tag: "evals" });
    expect(formatStatusTable(status)).toContain(
      "sealed test (pass_rate): best #1 0.3333 vs baseline #0 0.3333 (±0.0000); on 6 paired cases: 0 better, 0 worse (exact p=1)",
    );
    const report = await writeReport({ directory, tag: "evals", format: "md" });
    const markdown = readFileSync(report.file, "utf8");
    expect(markdown).toContain("## Sealed test");
    expect(markdown).toContain("| pass_rate | 0.3333 | 0.3333 | ±0.0000 |");
    expect(markdown).toContain("- #2 discard: better: d7; worse: d1");
    const html = readFileSync((await writeReport({ directory, tag: "evals", format: "html" })).file, "utf8");
    expect(html).toContain("<h2>Sealed test</h2>");
    expect(html).toContain("cases better: d1, d2, d3, d4, d5, d6");

    // Ending again with the same best and baseline reuses the sealed test instead of running it again.
    const again = await runResearch({ ...options, stopWhen: isTrialCount(4) });
    expect(again.finalEvaluation).toEqual(sealed);
    expect(
      runs()
        .trim()
        .split("\n")
        .filter((line) => line === "test"),
    ).toHaveLength(2);
    expect(existsSync(join(directory, ".autoresearch", "evals", "final-evaluation.jsonl"))).toBe(true);
  });
});
