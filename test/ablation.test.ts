import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  createCaseFileObjective,
  createCommandRunner,
  createPatchQueueMutator,
  formatAblation,
  isTrialCount,
  runAblation,
  runResearch,
} from "../src/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

// Twenty dev cases; a case passes when one of the agent's skills (one file each in skills/) covers it.
const suite = `
const { readdirSync, readFileSync, writeFileSync } = require("node:fs");
const covered = new Set();
for (const file of readdirSync("skills")) for (const id of JSON.parse(readFileSync("skills/" + file, "utf8"))) covered.add(id);
const lines = [];
for (let index = 1; index <= 20; index++) lines.push(JSON.stringify({ id: "d" + index, pass: covered.has("d" + index) }));
writeFileSync("cases.jsonl", lines.join("\\n") + "\\n");
`;

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => `d${from + index}`);

function skill(name: string, file: string, cases: string[]) {
  return {
    name,
    apply: ({ directory }: { directory: string }) => {
      mkdirSync(join(directory, "skills"), { recursive: true });
      writeFileSync(join(directory, "skills", file), `${JSON.stringify(cases)}\n`);
    },
  };
}

const objective = createCaseFileObjective({ file: "cases.jsonl", metric: "pass_rate" });
const runner = createCommandRunner({ command: "node suite.cjs" });

describe("ablation of what was kept", () => {
  it("names the kept change that does nothing in the best, reports conflicts, and writes a branch without it", async () => {
    const directory = createRepository({
      "suite.cjs": suite,
      "skills/none.json": "[]\n",
      ".gitignore": "cases.jsonl\n",
    });
    const summary = await runResearch({
      directory,
      tag: "ablate",
      runner,
      objective,
      mutator: createPatchQueueMutator({
        patches: [
          skill("billing skill", "billing.json", range(1, 5)),
          skill("account skill", "account.json", range(6, 10)),
          // Covers everything the billing skill does and five cases more: from here on, billing does nothing.
          skill("broader billing skill", "billing-v2.json", [...range(1, 5), ...range(11, 15)]),
          // Edits the account skill's file: undoing the account skill alone now conflicts.
          skill("longer account skill", "account.json", [...range(6, 10), ...range(16, 20)]),
        ],
      }),
      scope: { editable: ["skills/**"], protected: ["suite.cjs"] },
      stopWhen: isTrialCount(10),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "keep", "keep", "keep", "keep"]);
    expect(summary.best?.metric).toBe(1);
    const head = gitSync(directory, "rev-parse", "HEAD");
    const researchBranch = gitSync(directory, "rev-parse", "autoresearch/ablate");

    const progress: string[] = [];
    const result = await runAblation({
      directory,
      tag: "ablate",
      runner,
      objective,
      repeats: 2,
      protected: ["suite.cjs"],
      writeBranch: "ablate-pruned",
      onProgress: (line) => progress.push(line),
    });

    const byTrial = new Map(result.changes.map((change) => [change.trial, change]));
    expect(result.best).toMatchObject({ trial: 4, metric: 1, samples: [1, 1] });
    // The billing skill: the best without it is just as good.
    expect(byTrial.get(1)).toMatchObject({ removable: true, without: { metric: 1 } });
    expect(byTrial.get(1)?.contribution).toMatchObject({
      mean: 0,
      standardError: 0,
      over: "cases",
      count: 20,
    });
    // The broader billing skill and the longer account skill each carry five cases.
    expect(byTrial.get(3)).toMatchObject({ removable: false, without: { metric: 0.75 } });
    expect(byTrial.get(3)?.contribution?.mean).toBeCloseTo(0.25, 12);
    expect(byTrial.get(3)?.comparison?.flips?.improved).toEqual(range(11, 15));
    expect(byTrial.get(4)).toMatchObject({ removable: false, without: { metric: 0.75 } });
    // The account skill's file was edited later: undoing only its creation conflicts, and nothing is measured.
    expect(byTrial.get(2)).toMatchObject({ removable: false, conflict: ["skills/account.json"] });
    expect(byTrial.get(2)?.without).toBeUndefined();
    expect(result.removable).toEqual([1]);
    expect(progress).toContain("run 2/2: without-3");

    // The branch: the best without the billing skill, measured as good as the best.
    expect(result.branch).toMatchObject({ name: "ablate-pruned", removed: [1], measurement: { metric: 1 } });
    const files = gitSync(directory, "ls-tree", "--name-only", "ablate-pruned", "skills/");
    expect(files.split("\n")).toEqual(["skills/account.json", "skills/billing-v2.json", "skills/none.json"]);
    // Nothing of the user's or the research's moved.
    expect(gitSync(directory, "rev-parse", "HEAD")).toBe(head);
    expect(gitSync(directory, "rev-parse", "autoresearch/ablate")).toBe(researchBranch);
    expect(gitSync(directory, "status", "--porcelain")).toBe("");
    expect(gitSync(directory, "worktree", "list")).not.toContain("ablate\n");
    expect(existsSync(join(directory, ".autoresearch", "ablate", "ablation.json"))).toBe(true);

    const text = formatAblation(result);
    expect(text).toContain("removable: #1 billing skill");
    expect(text).toContain("removable: the best is not significantly better with it");
    expect(text).toContain("not measured: undoing it conflicts with later changes in skills/account.json");
    expect(text).toContain("branch ablate-pruned written without #1: pass_rate 1.000 (best 1.000)");
    expect(text).toContain(
      "contribution: +0.250 (se 0.099; 95% interval 0.042 to 0.458; paired over 20 cases)",
    );
    expect(text).toContain(
      "contribution: 0.000 (se 0.000; 95% interval 0.000 to 0.000; paired over 20 cases)",
    );

    // The CLI: the same, from a config file; a branch that exists is refused rather than moved.
    writeFileSync(
      join(directory, "autoresearch.config.ts"),
      `export default {
        tag: "ablate",
        runner: { command: "node suite.cjs" },
        objective: { caseFile: { file: "cases.jsonl", metric: "pass_rate" } },
        mutator: { searchSpace: { file: "p.json", space: { x: { type: "int", min: 0, max: 3 } } } },
        scope: { editable: ["skills/**"], protected: ["suite.cjs"] },
      };\n`,
    );
    const cli = spawnSync(process.execPath, [resolve("dist/cli.js"), "ablate", "--repeats", "1"], {
      cwd: directory,
      encoding: "utf8",
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("ablation of ablate: pass_rate, higher is better; 1 run of each variant");
    expect(cli.stdout).toContain("removable: #1 billing skill");
    expect(cli.stderr).toContain("ablate: run 1/1: best");
    const again = spawnSync(
      process.execPath,
      [resolve("dist/cli.js"), "ablate", "--repeats", "1", "--branch", "ablate-pruned"],
      {
        cwd: directory,
        encoding: "utf8",
      },
    );
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("The branch ablate-pruned exists already");
    expect(readFileSync(join(directory, ".autoresearch", "ablate", "ablation.json"), "utf8")).toContain(
      '"removable"',
    );

    // Ctrl-C during a run: the run is stopped, the ablation's worktree removed, exit 130.
    writeFileSync(
      join(directory, "autoresearch.config.ts"),
      readFileSync(join(directory, "autoresearch.config.ts"), "utf8").replace(
        'command: "node suite.cjs"',
        'command: "echo started > ../../started.txt; sleep 60"',
      ),
    );
    const started = join(directory, ".autoresearch", "ablate", "started.txt");
    const interrupted = spawn(process.execPath, [resolve("dist/cli.js"), "ablate", "--repeats", "1"], {
      cwd: directory,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    interrupted.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    for (let waited = 0; !existsSync(started) && waited < 30_000; waited += 100) await sleep(100);
    expect(existsSync(started), stderr).toBe(true);
    interrupted.kill("SIGINT");
    const [code] = (await once(interrupted, "exit")) as [number | null];
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("SIGINT: stopping; stopping the runs in flight");
    expect(existsSync(join(directory, ".autoresearch", "ablate", "worktrees", "ablate"))).toBe(false);
  });
});
