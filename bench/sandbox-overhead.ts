/**
 * What the sandbox costs per run: a trivial command (`true`) run 50 times through the command runner with and
 * without a bubblewrap policy, and the nanochat example's smoke profile (when .venv exists) a few times each way.
 * Run: npx tsx bench/sandbox-overhead.ts [runs] [nanochat runs]
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createCommandRunner } from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { prepareResearchSandbox, runPolicy } from "../src/sandbox/research-sandbox.js";
import { sandboxSettingsSchema } from "../src/sandbox/sandbox-options.js";
import type { SandboxPolicy } from "../src/spec/sandbox.js";

const runs = Number(process.argv[2] ?? 50);
const nanochatRuns = Number(process.argv[3] ?? 3);
const support = await detectBubblewrap();
if (!support.available) {
  console.log(`bubblewrap is not available here: ${support.reason}`);
  process.exit(0);
}

// A checkout with its state folder and trial worktree, as the loop lays them out (outside /tmp).
const root = mkdtempSync(join(existsSync("/var/tmp") ? "/var/tmp" : "/tmp", "autoresearch-bench-sandbox-"));
const checkout = join(root, "checkout");
const worktree = join(checkout, ".autoresearch", "bench", "worktrees", "trial");
mkdirSync(worktree, { recursive: true });
const cache = join(root, "cache");

async function policyFor(writable: string[] = []): Promise<SandboxPolicy> {
  const sandbox = await prepareResearchSandbox(
    sandboxSettingsSchema.parse({ mode: "required", writable }),
    { researchedDirectory: checkout, worktree, trialDirectory: worktree },
    { runners: [{ name: "command", appliesSandbox: true }] },
  );
  return runPolicy(sandbox.experiment as SandboxPolicy, [join(worktree, "train.py")]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function time(
  command: string[],
  count: number,
  policy: SandboxPolicy | undefined,
  env: Record<string, string> = {},
): Promise<{ wall: number[]; ok: number }> {
  const runner = createCommandRunner({ command, timeoutMs: 600_000, env });
  const wall: number[] = [];
  let ok = 0;
  for (let index = 0; index < count; index++) {
    const started = performance.now();
    const result = await runner.run({
      directory: worktree,
      trial: index,
      logFile: join(root, "logs", `${index}.log`),
      env: {},
      abortSignal: new AbortController().signal,
      ...(policy === undefined ? {} : { sandbox: policy }),
    });
    wall.push(performance.now() - started);
    if (result.exitCode === 0) ok++;
  }
  return { wall, ok };
}

const row = (name: string, values: number[], ok: number, count: number) =>
  `| ${name.padEnd(34)} | ${median(values).toFixed(1).padStart(10)} | ${String(`${ok}/${count}`).padStart(6)} |`;
const header = () => {
  console.log(`| ${"".padEnd(34)} | ${"median ms".padStart(10)} | ${"exit 0".padStart(6)} |`);
  console.log(`|${"-".repeat(36)}|${"-".repeat(12)}|${"-".repeat(8)}|`);
};

try {
  const policy = await policyFor();
  console.log(`bubblewrap ${support.version}; ${runs} runs of \`true\` through the command runner\n`);
  header();
  // One untimed run each, so both sides start warm.
  await time(["true"], 1, undefined);
  await time(["true"], 1, policy);
  const bare = await time(["true"], runs, undefined);
  const boxed = await time(["true"], runs, policy);
  console.log(row("unsandboxed", bare.wall, bare.ok, runs));
  console.log(row("sandboxed (bubblewrap)", boxed.wall, boxed.ok, runs));
  console.log(
    `\nper-run overhead (difference of medians): ${(median(boxed.wall) - median(bare.wall)).toFixed(1)} ms`,
  );

  const python = resolve(".venv/bin/python");
  if (nanochatRuns > 0 && existsSync(python)) {
    for (const file of ["prepare.py", "train.py", "pyproject.toml"]) {
      cpSync(resolve("examples/nanochat", file), join(worktree, file));
    }
    const env = {
      AUTORESEARCH_PROFILE: "smoke",
      AUTORESEARCH_CACHE_DIR: cache,
      PYTHONDONTWRITEBYTECODE: "1",
    };
    const nanochatPolicy = await policyFor([cache]);
    // The first run prepares the smoke data in the cache; it is not timed.
    await time([python, "train.py"], 1, undefined, env);
    console.log(
      `\nnanochat smoke profile (python train.py, 5 s training budget), ${nanochatRuns} runs each way\n`,
    );
    header();
    // Alternated, so that a change in the machine's load hits both sides alike.
    const bareTrain = { wall: [] as number[], ok: 0 };
    const boxedTrain = { wall: [] as number[], ok: 0 };
    for (let index = 0; index < nanochatRuns; index++) {
      for (const [side, policyOfSide] of [
        [bareTrain, undefined],
        [boxedTrain, nanochatPolicy],
      ] as const) {
        const one = await time([python, "train.py"], 1, policyOfSide, env);
        side.wall.push(...one.wall);
        side.ok += one.ok;
      }
    }
    console.log(row("unsandboxed", bareTrain.wall, bareTrain.ok, nanochatRuns));
    console.log(row("sandboxed (bubblewrap)", boxedTrain.wall, boxedTrain.ok, nanochatRuns));
    console.log(
      `\nper-run overhead (difference of medians): ${(median(boxedTrain.wall) - median(bareTrain.wall)).toFixed(0)} ms`,
    );
  } else if (nanochatRuns > 0) {
    console.log("\nnanochat: skipped, no .venv (bash scripts/setup-python.sh makes it)");
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
