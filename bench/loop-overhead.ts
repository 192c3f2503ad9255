/**
 * The loop's own time per trial (everything except the experiment and the proposal), over 100 no-op trials,
 * beside the same git commands run by a bash loop. Run: npx tsx bench/loop-overhead.ts [trials]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTrialCount, runResearch } from "../src/index.js";
import { MockMutator, MockObjective, MockRunner } from "../src/testing/index.js";

const trials = Number(process.argv[2] ?? 100);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

function repository(): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-bench-"));
  const run = (...args: string[]) => execFileSync("git", args, { cwd: directory, env, stdio: "ignore" });
  run("init", "-q", "-b", "main");
  for (let index = 0; index < 20; index++) {
    mkdirSync(join(directory, "src"), { recursive: true });
    writeFileSync(join(directory, "src", `file${index}.txt`), `${"line\n".repeat(50)}`);
  }
  writeFileSync(join(directory, "params.txt"), "0\n");
  run("add", "-A");
  run("commit", "-q", "-m", "initial");
  return directory;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (position - low);
}

async function loopFigures(): Promise<number[]> {
  const directory = repository();
  let counter = 0;
  const summary = await runResearch({
    directory,
    tag: "bench",
    mutator: new MockMutator({
      propose: () => ({ files: { "params.txt": `${++counter}\n` }, description: "bump" }),
    }),
    runner: new MockRunner({ run: "metric: 1\n" }),
    // Every other trial is kept, so branch moves are measured too.
    objective: new MockObjective({ measure: (_options, call) => 1000 - call - (call % 2) * 2 }),
    scope: { editable: ["params.txt"], protected: [] },
    stopWhen: isTrialCount(trials + 1),
  });
  rmSync(directory, { recursive: true, force: true });
  return summary.records
    .filter((record) => record.kind !== "baseline")
    .map((record) => record.durations.totalMs - record.durations.proposeMs - record.durations.runMs);
}

function bashFigures(): number[] {
  const directory = repository();
  execFileSync("git", ["worktree", "add", "-q", "--detach", join(directory, ".wt"), "HEAD"], {
    cwd: directory,
    env,
  });
  execFileSync("git", ["branch", "incumbent", "HEAD"], { cwd: directory, env });
  // The same git commands the loop issues per trial, timed per trial by bash itself.
  const script = `
set -e
cd "$1/.wt"
for i in $(seq 1 "$2"); do
  s=$(date +%s%N)
  head=$(git rev-parse refs/heads/incumbent)
  git reset --hard -q "$head"; git clean -fdq
  echo "$i" > params.txt
  git add -A; git diff --cached --name-only --no-renames -z HEAD >/dev/null
  tree=$(git write-tree); c=$(git commit-tree "$tree" -p "$head" -m "trial $i")
  git update-ref "refs/autoresearch/bench/trials/$i" "$c"
  echo "{\\"id\\":$i}" >> "$1/ledger.jsonl"; sync "$1/ledger.jsonl"
  if [ $((i % 2)) -eq 0 ]; then git update-ref refs/heads/incumbent "$c" "$head"; fi
  e=$(date +%s%N); echo $(( (e - s) / 1000 ))
done`;
  const output = execFileSync("bash", ["-c", script, "bench", directory, String(trials)], {
    env,
    encoding: "utf8",
  });
  rmSync(directory, { recursive: true, force: true });
  return output
    .trim()
    .split("\n")
    .map((micros) => Number(micros) / 1000);
}

const loop = await loopFigures();
const bash = bashFigures();
const row = (name: string, values: number[]) =>
  `| ${name.padEnd(28)} | ${quantile(values, 0.5).toFixed(1).padStart(10)} | ${quantile(values, 0.9).toFixed(1).padStart(8)} |`;
console.log(`Loop overhead per trial over ${trials} no-op trials (ms)\n`);
console.log(`| ${"".padEnd(28)} | ${"median".padStart(10)} | ${"p90".padStart(8)} |`);
console.log(`|${"-".repeat(30)}|${"-".repeat(12)}|${"-".repeat(10)}|`);
console.log(row("autoresearch loop", loop));
console.log(row("bash, same git commands", bash));
console.log(
  `\nratio of medians: ${(quantile(loop, 0.5) / quantile(bash, 0.5)).toFixed(2)}x (target <= 1.5x)`,
);
