import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, symlinkSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  createCommandRunner,
  createMetricObjective,
  createPatchQueueMutator,
  isTrialCount,
  readLedgerFile,
  runResearch,
} from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { gitSync } from "./helpers/repository.js";

const repositoryRoot = fileURLToPath(new URL("..", import.meta.url));
const example = join(repositoryRoot, "examples", "nanochat");
// Created by scripts/setup-python.sh; CI must have it, a developer without it gets a skip.
const python = join(repositoryRoot, ".venv", "bin", "python");
const hasPython = existsSync(python);
// CI installs bubblewrap: there the runs are confined, the venv (in the repository root, outside the trial
// worktree) read-only, the smoke data cache the one declared writable path.
const support = await detectBubblewrap();
const exampleFiles = ["prepare.py", "train.py", "program.md", "pyproject.toml", "README.md", ".gitignore"];

const cleanup: string[] = [];
let cacheDirectory: Promise<string> | undefined;
/** One data cache for the tests of this file: the smoke data is prepared once. */
function sharedCache(): Promise<string> {
  cacheDirectory ??= mkdtemp(join(tmpdir(), "autoresearch-nanochat-cache-")).then((path) => {
    cleanup.push(path);
    return path;
  });
  return cacheDirectory;
}
afterAll(async () => {
  await Promise.all(cleanup.map((path) => rm(path, { recursive: true, force: true })));
});

/** A patch that rewrites one hyperparameter line of train.py, failing loudly if the line is not there. */
function setConstant(name: string, from: string, to: string) {
  return {
    name: `${name.toLowerCase()}-${to}`,
    description: `${name} ${from} -> ${to}`,
    apply: async ({ directory }: { directory: string }) => {
      const file = join(directory, "train.py");
      const source = await readFile(file, "utf8");
      const line = new RegExp(`^(\\s*${name} = )${from.replace(".", "\\.")}(\\b.*)$`, "m");
      if (!line.test(source)) throw new Error(`train.py has no line \`${name} = ${from}\``);
      await writeFile(file, source.replace(line, `$1${to}$2`));
    },
  };
}

describe("the nanochat example under the research loop (smoke profile)", () => {
  it.skipIf(!hasPython && !process.env.CI)(
    "runs a baseline and two hyperparameter trials, reading val_bpb from each",
    { timeout: 300_000 },
    async () => {
      if (!hasPython) throw new Error(`${python} is missing: run scripts/setup-python.sh`);
      const directory = await mkdtemp(join(tmpdir(), "autoresearch-nanochat-"));
      const cache = await sharedCache();
      cleanup.push(directory);
      for (const file of exampleFiles) await cp(join(example, file), join(directory, file));
      gitSync(directory, "init", "-q", "-b", "main");
      gitSync(directory, "add", "-A");
      gitSync(directory, "commit", "-q", "-m", "nanochat example");
      const original = readFileSync(join(directory, "train.py"), "utf8");

      const summary = await runResearch({
        directory,
        tag: "nanochat-smoke",
        // One run per trial: this test is about reading val_bpb from real training runs; the noise-aware
        // default's repeats are tested on simulated targets (and the CLI test below runs it on this one).
        objective: createMetricObjective({
          metric: "val_bpb",
          direction: "minimize",
          decision: { rule: "strictly-better" },
        }),
        evaluation: { baselineRepeats: 1, confirm: 0 },
        mutator: createPatchQueueMutator({
          patches: [setConstant("MATRIX_LR", "0.04", "0.02"), setConstant("EMBEDDING_LR", "0.6", "0.3")],
        }),
        runner: createCommandRunner({
          command: [python, "train.py"],
          env: {
            AUTORESEARCH_PROFILE: "smoke",
            AUTORESEARCH_CACHE_DIR: cache,
            // a shorter budget than the smoke default keeps three runs quick; the code paths are the same
            AUTORESEARCH_TIME_BUDGET: "2",
            PYTHONDONTWRITEBYTECODE: "1",
          },
          timeoutMs: 120_000,
        }),
        scope: { editable: ["train.py"], protected: ["prepare.py", "pyproject.toml"] },
        stopWhen: [isTrialCount(3)],
        // The virtualenv lies outside the researched repository: declared, it is visible also under /tmp.
        sandbox: {
          mode: support.available || process.env.CI ? "required" : "auto",
          readOnly: [join(repositoryRoot, ".venv")],
          writable: [cache],
        },
      });

      const { records } = summary;
      expect(records).toHaveLength(3);
      expect(records.map((record) => record.kind)).toEqual(["baseline", "proposal", "proposal"]);
      expect(records.slice(1).map((record) => record.description)).toEqual([
        "MATRIX_LR 0.04 -> 0.02",
        "EMBEDDING_LR 0.6 -> 0.3",
      ]);
      for (const record of records) {
        expect(record.run?.exitCode).toBe(0);
        expect(record.metric).toBeTypeOf("number");
        expect(Number.isFinite(record.metric)).toBe(true);
        // Under the noise-aware default a trial may be run more than once: its metric is the mean of its runs,
        // its metrics those of the last run.
        const samples = record.samples ?? [record.metric as number];
        expect(record.metrics.val_bpb).toBe(samples.at(-1));
        expect(record.metric).toBeCloseTo(
          samples.reduce((sum, value) => sum + value, 0) / samples.length,
          12,
        );
        // a model that learned something beats uniform prediction over 512 tokens (about 3.5 bits per byte here)
        expect(record.metric).toBeGreaterThan(0);
        expect(record.metric).toBeLessThan(3);
        expect(record.metrics.num_steps).toBeGreaterThan(11);
        expect(record.metrics.depth).toBe(2);
        expect(record.reason.length).toBeGreaterThan(0);
      }
      for (const record of records.slice(1)) {
        expect(["keep", "discard"]).toContain(record.status);
        expect(record.changedFiles).toEqual(["train.py"]);
      }
      // the incumbent branch holds the best kept train.py; the user's checkout is untouched
      const kept = records.filter((record) => record.status === "keep");
      const best = kept.at(-1);
      expect(best).toBeDefined();
      expect(gitSync(directory, "rev-parse", "autoresearch/nanochat-smoke")).toBe(best?.commit);
      expect(readFileSync(join(directory, "train.py"), "utf8")).toBe(original);
      const ledger = readFileSync(join(directory, ".autoresearch/nanochat-smoke/ledger.jsonl"), "utf8");
      expect(ledger.trim().split("\n")).toHaveLength(3);
      const described = JSON.parse(
        readFileSync(join(directory, ".autoresearch/nanochat-smoke/research.json"), "utf8"),
      );
      if (support.available) expect(described.sandbox).toMatch(/^bubblewrap /);
    },
  );

  it.skipIf(!hasPython && !process.env.CI)(
    "runs smoke.config.ts through the CLI, reaching the untracked virtualenv through AUTORESEARCH_ROOT",
    { timeout: 300_000 },
    async () => {
      if (!hasPython) throw new Error(`${python} is missing: run scripts/setup-python.sh`);
      const directory = await mkdtemp(join(tmpdir(), "autoresearch-nanochat-cli-"));
      const cache = await sharedCache();
      cleanup.push(directory);
      for (const file of [...exampleFiles, "smoke.config.ts"])
        await cp(join(example, file), join(directory, file));
      gitSync(directory, "init", "-q", "-b", "main");
      gitSync(directory, "add", "-A");
      gitSync(directory, "commit", "-q", "-m", "nanochat example");
      // The user's virtualenv, untracked at the repository's root, as scripts/setup-python.sh makes it.
      symlinkSync(join(repositoryRoot, ".venv"), join(directory, ".venv"));
      appendFileSync(join(directory, ".git", "info", "exclude"), ".venv\n");
      const result = spawnSync(
        process.execPath,
        [join(repositoryRoot, "dist", "cli.js"), "run", "smoke.config.ts", "--max-trials", "2"],
        {
          cwd: directory,
          encoding: "utf8",
          env: {
            ...process.env,
            NO_COLOR: "1",
            AUTORESEARCH_CACHE_DIR: cache,
            AUTORESEARCH_TIME_BUDGET: "2",
          },
        },
      );
      expect(result.status, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain("ended (trial-count): 2 trials, the baseline included");
      const records = await readLedgerFile(join(directory, ".autoresearch/nanochat-smoke/ledger.jsonl"));
      expect(records.map((record) => record.kind)).toEqual(["baseline", "proposal"]);
      for (const record of records) expect(record.metrics.val_bpb).toBeGreaterThan(0);
      expect(records[1]?.changedFiles).toEqual(["train.py"]);
      expect(records[1]?.description).toMatch(/^(MATRIX_LR|EMBEDDING_LR|WEIGHT_DECAY|WARMDOWN_RATIO) /);
    },
  );
});
