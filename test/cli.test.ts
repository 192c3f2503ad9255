import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type ResearchEvent, readLedgerFile } from "../src/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

const cli = resolve("dist/cli.js");

function runCli(args: string[], cwd: string) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

const slowExperiment = `
const fs = require("node:fs");
const value = Number(fs.readFileSync("params.txt", "utf8"));
console.log("started " + value);
// Trial 2 and later take long enough to be interrupted.
setTimeout(() => console.log("score: " + (10 - value)), value >= 2 ? 60_000 : 10);
`;

const configFor = (command: string) => `
export default {
  tag: "cli",
  runner: { command: ${JSON.stringify(command)}, timeoutMs: 120_000, killGraceMs: 1_000 },
  objective: { metric: "score", direction: "minimize" },
  mutator: { patches: "patches" },
  scope: { editable: ["params.txt"], protected: ["experiment.js"] },
};
`;

function patch(value: number): string {
  return [
    `Subject: params ${value}`,
    "",
    "diff --git a/params.txt b/params.txt",
    "--- a/params.txt",
    "+++ b/params.txt",
    "@@ -1 +1 @@",
    `-${value - 1}`,
    `+${value}`,
    "",
  ].join("\n");
}

function repositoryWithPatches(command = "node experiment.js"): string {
  const files: Record<string, string> = {
    "params.txt": "0\n",
    "experiment.js": slowExperiment,
    "autoresearch.config.ts": configFor(command),
  };
  for (let value = 1; value <= 4; value++) files[`patches/${value}.patch`] = patch(value);
  return createRepository(files);
}

describe("the CLI", () => {
  it("prints a JSON event per line with --json and exits 0", () => {
    const directory = repositoryWithPatches();
    const result = runCli(["run", "--max-trials", "2", "--json"], directory);
    expect(result.status, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as ResearchEvent);
    expect(events[0]?.type).toBe("research-start");
    expect(events.at(-1)?.type).toBe("research-end");
    const ends = events.filter((event) => event.type === "trial-end");
    expect(ends.map((event) => event.type === "trial-end" && event.record.status)).toEqual(["keep", "keep"]);
    expect(events.some((event) => event.type === "run-line" && event.line === "score: 9")).toBe(true);
  });

  it("stops within 5 s on SIGINT, records the trial as interrupted, and resumes without repeating", async () => {
    const directory = repositoryWithPatches();
    const child = spawn(process.execPath, [cli, "run", "--json"], {
      cwd: directory,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffered = "";
    await new Promise<void>((resolveStarted, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        // Trial 2 is the slow one: wait until its experiment printed its first line.
        if (buffered.includes('"line":"started 2"')) resolveStarted();
      });
      child.once("exit", () => reject(new Error(`the CLI exited early: ${buffered}`)));
    });
    const sent = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolveExit) => child.once("exit", resolveExit));
    const elapsed = Date.now() - sent;
    expect(code).toBe(130);
    expect(elapsed).toBeLessThan(5_000);
    const ledger = join(directory, ".autoresearch/cli/ledger.jsonl");
    let records = await readLedgerFile(ledger);
    expect(records.map((record) => `${record.id}:${record.status}`)).toEqual([
      "0:keep",
      "1:keep",
      "2:interrupted",
    ]);
    expect(gitSync(directory, "rev-parse", "autoresearch/cli")).toBe(records[1]?.commit);
    expect(gitSync(directory, "status", "--porcelain")).toBe("");

    // Make the experiment fast, then resume: finished trials are not repeated.
    writeFileSync(join(directory, "autoresearch.config.ts"), configFor("echo score: 1"));
    const resumed = runCli(["run", "--max-trials", "4"], directory);
    expect(resumed.status, resumed.stderr).toBe(0);
    records = await readLedgerFile(ledger);
    expect(records.map((record) => record.id)).toEqual([0, 1, 2, 3]);
    expect(records.filter((record) => record.kind === "baseline")).toHaveLength(1);
  });

  it("exits 2 with a message naming the field for a wrong config", () => {
    const directory = createRepository({
      "autoresearch.config.ts": `export default {
        runner: { command: "true", timeoutMs: -5 },
        objective: { metric: "score", direction: "up" },
        mutator: { patches: "patches" },
        scope: { editable: ["a"] },
      };`,
    });
    const result = runCli(["run"], directory);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Invalid `runner.timeoutMs`: expected number to be >0, got `-5`");
    const objective = runCli(["run"], directory);
    expect(objective.stderr).not.toContain("TypeError");
    const missing = runCli(["run"], mkdtempSync(join(tmpdir(), "autoresearch-none-")));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("Expected a config file");
    for (const tag of ["a..b", "x.lock"]) {
      const badTag = runCli(["run", "--tag", tag], repositoryWithPatches());
      expect(badTag.status).toBe(2);
      expect(badTag.stderr).toContain(`Invalid \`tag\`: a git ref name cannot`);
    }
    const unknown = runCli(["frobnicate"], directory);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("Unknown command `frobnicate`");
  });

  it("runs the demo into a fresh repository with kept trials, a ledger and results.tsv", () => {
    const parent = mkdtempSync(join(tmpdir(), "autoresearch-demo-test-"));
    const result = runCli(["demo", "my demo"], parent);
    expect(result.status, result.stderr).toBe(0);
    const directory = join(parent, "my demo");
    expect(result.stdout).toContain(`The demo repository is ${directory}`);
    const kept = execFileSync("git", ["rev-list", "--count", "main..autoresearch/quickstart"], {
      cwd: directory,
      encoding: "utf8",
    });
    expect(Number(kept)).toBeGreaterThanOrEqual(1);
    const ledger = readFileSync(join(directory, ".autoresearch/quickstart/ledger.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(ledger).toHaveLength(10);
    const tsv = readFileSync(join(directory, ".autoresearch/quickstart/results.tsv"), "utf8").split("\n");
    expect(tsv[0]).toBe("commit\tval_bpb\tmemory_gb\tstatus\tdescription");
    expect(existsSync(join(directory, "train.js"))).toBe(true);
  });
});

describe("failures on the terminal", () => {
  it("shows one trial count in the CLI, status and the report, the baseline included", () => {
    const directory = repositoryWithPatches("echo score: 5");
    const run = runCli(["run", "--max-trials", "3"], directory);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("ended (trial-count): 3 trials, the baseline included:");
    const status = runCli(["status", "cli"], directory);
    expect(status.stdout).toContain("3 trials, the baseline included:");
    const report = runCli(
      ["report", "cli", "--format", "md", "--output", join(directory, "r.md")],
      directory,
    );
    expect(report.status, report.stderr).toBe(0);
    expect(readFileSync(join(directory, "r.md"), "utf8")).toContain(
      "| trials | 3 trials, the baseline included:",
    );
  });

  it("explains a crashed baseline: the reason and the log's last lines on stdout, a paragraph on stderr, exit 1", () => {
    const directory = repositoryWithPatches(
      'node -e \'console.log("pass_rate: 0.5"); console.error("warming up")\'',
    );
    const result = runCli(["run"], directory);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("baseline crash no metric  ");
    expect(result.stdout).toContain("— no `score: <number>` line in the output (found pass_rate)");
    expect(result.stdout).toMatch(/ {4}log: .*\.autoresearch\/cli\/logs\/0\.log\n {4}│ pass_rate: 0\.5\n/);
    expect(result.stderr).toContain(
      "The research stopped because the baseline (trial 0, the unchanged code) failed: no `score: <number>` line",
    );
    expect(result.stderr).toContain(`Its log is ${realpathSync(directory)}/.autoresearch/cli/logs/0.log`);
    const status = runCli(["status", "cli"], directory);
    expect(status.stdout).toContain("1 trial: the baseline crashed");
    expect(status.stdout).toContain(
      "the baseline (trial 0) did not measure: crash, no `score: <number>` line",
    );
  });

  it("explains proposals that keep failing, with the proposer's own error", () => {
    const directory = createRepository({
      "params.txt": "0\n",
      "program.md": "Lower the score.\n",
      "autoresearch.config.ts": `export default {
        tag: "llm",
        runner: { command: "echo score: 5" },
        objective: { metric: "score", direction: "minimize" },
        // A closed port: every model call fails at once.
        mutator: { llm: { model: "openai-compatible:m", baseURL: "http://127.0.0.1:2/v1", instructions: "program.md", retry: { maxRetries: 0 } } },
        scope: { editable: ["params.txt"] },
        maxConsecutiveFailures: 2,
      };`,
    });
    const result = runCli(["run"], directory);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/trial 1 {2}failed {3}.* — proposal failed: The model call failed: /);
    expect(result.stderr).toContain(
      "The research stopped because the last 2 proposals in a row produced nothing to run",
    );
    expect(result.stderr).toContain('The proposer said: "The model call failed: ');
    const status = runCli(["status", "llm"], directory);
    expect(status.stdout).toContain("3 trials, the baseline included: 2 failed proposals");
    expect(status.stdout).toMatch(
      /\n1 +failed +- +The model call failed|\n1 +failed .*proposal failed: The model call failed/,
    );
  });
});
