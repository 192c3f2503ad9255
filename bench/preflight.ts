/**
 * How long the checks before the baseline take for a local target: the quickstart example's config (a search
 * space over config.json, `node train.js`), and the same with a patch queue, each timed 20 times in this process.
 * Run: npx tsx bench/preflight.ts [times]
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, resolveConfig } from "../src/index.js";
import { preflightResearch } from "../src/loop/preflight.js";
import { normalizeResearchOptions } from "../src/loop/research-options.js";
import { openWorkspace } from "../src/workspace/workspace.js";

const times = Number(process.argv[2] ?? 20);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "b",
  GIT_AUTHOR_EMAIL: "b@x",
  GIT_COMMITTER_NAME: "b",
  GIT_COMMITTER_EMAIL: "b@x",
};

const directory = mkdtempSync(join(tmpdir(), "autoresearch-bench-preflight-"));
cpSync(join(import.meta.dirname, "..", "examples", "quickstart"), directory, { recursive: true });
const git = (...args: string[]) => execFileSync("git", args, { cwd: directory, env, encoding: "utf8" });
git("init", "-q", "-b", "main");
git("add", "-A");
git("commit", "-q", "-m", "quickstart");
// A real patch of config.json, in a folder beside it.
const config = readFileSync(join(directory, "config.json"), "utf8");
writeFileSync(join(directory, "config.json"), config.replace(/"steps": \d+/, '"steps": 999'));
mkdirSync(join(directory, "patches"));
writeFileSync(join(directory, "patches", "1.patch"), git("diff"));
writeFileSync(join(directory, "config.json"), config);

const loaded = await loadConfig(join(directory, "autoresearch.config.ts"));
const searchSpace = normalizeResearchOptions(await resolveConfig(loaded.config, loaded.directory));
const patches = normalizeResearchOptions(
  await resolveConfig({ ...loaded.config, mutator: { patches: "patches" } }, loaded.directory),
);

const rows: string[][] = [];
for (const [name, options] of [
  ["search space", searchSpace],
  ["patch queue", patches],
] as const) {
  const workspace = await openWorkspace({ directory, tag: "bench", protected: options.scope.protected });
  const durations: number[] = [];
  try {
    for (let index = 0; index < times; index++) {
      const started = performance.now();
      await preflightResearch({ options, workspace, records: [], abortSignal: new AbortController().signal });
      durations.push(performance.now() - started);
    }
  } finally {
    await workspace.release();
  }
  durations.sort((a, b) => a - b);
  const at = (q: number) => (durations[Math.floor((durations.length - 1) * q)] as number).toFixed(1);
  rows.push([name, at(0.5), at(0.9), (durations.at(-1) as number).toFixed(1)]);
}
rmSync(directory, { recursive: true, force: true });

console.log(`preflight of the quickstart target, ${times} times each (ms)`);
console.log(["mutator", "median", "p90", "max"].map((cell) => cell.padEnd(14)).join(""));
for (const row of rows) console.log(row.map((cell) => cell.padEnd(14)).join(""));
