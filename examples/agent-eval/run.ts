/**
 * The agent-eval example: a support-ticket agent improved against its promptfoo suite.
 *
 *   npm run example:agent-eval               (offline: deterministic agent, a queue of patches; no key needed)
 *   AGENT_EVAL_LLM=1 OPENAI_API_KEY=… npm run example:agent-eval     (a real model as agent and as proposer)
 *   npm run example:agent-eval -- --fresh    (start over)
 *   npm run example:agent-eval -- --directory /tmp/agent-eval       (research somewhere else)
 *
 * On the first run it installs promptfoo into examples/agent-eval/node_modules (install.mjs). It copies agent/
 * into a fresh git repository (examples/agent-eval/work unless told otherwise), researches it (dev split, holdout
 * before each keep, the sealed test at the end), ablates what was kept, and writes a markdown report. Run it again
 * to resume.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, rm, symlink } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  createProgressRenderer,
  formatAblation,
  loadConfig,
  resolveConfig,
  runAblation,
  runResearch,
  writeReport,
} from "../../src/index.js";
import { ensureInstalled } from "./install.mjs";

const example = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { fresh: { type: "boolean", default: false }, directory: { type: "string" } },
});
const work = resolve(values.directory ?? join(example, "work"));
// The config finds promptfoo and the hidden splits here, wherever the research repository is.
process.env.AGENT_EVAL_HOME = example;
const llm = process.env.AGENT_EVAL_LLM === "1";

function git(...args: string[]): void {
  execFileSync("git", args, {
    cwd: work,
    stdio: "ignore",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "agent-eval example",
      GIT_AUTHOR_EMAIL: "example@autoresearch.invalid",
      GIT_COMMITTER_NAME: "agent-eval example",
      GIT_COMMITTER_EMAIL: "example@autoresearch.invalid",
    },
  });
}

if (llm && process.env.OPENAI_API_KEY === undefined) {
  console.error(
    "AGENT_EVAL_LLM=1 needs OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server).",
  );
  process.exit(2);
}
ensureInstalled();

if (values.fresh) await rm(work, { recursive: true, force: true });
if (!existsSync(join(work, ".git"))) {
  await cp(join(example, "agent"), work, { recursive: true });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "support agent: baseline");
}
// Outside the example folder, the agent finds the example's packages (the AI SDK, in the LLM mode) through a link.
if (relative(example, work).startsWith("..") && !existsSync(join(work, "node_modules"))) {
  await symlink(join(example, "node_modules"), join(work, "node_modules"), "dir");
}

const loaded = await loadConfig(join(work, "autoresearch.config.ts"));
const options = await resolveConfig(loaded.config, loaded.directory);
const renderer = createProgressRenderer({ stream: process.stdout, isTTY: process.stdout.isTTY === true });
const summary = await runResearch({ ...options, onEvent: renderer.handle });
renderer.close();

const first = summary.records.find((record) => record.kind === "baseline");
console.log(
  `\ndev pass rate: ${first?.metric?.toFixed(3) ?? "-"} (baseline) -> ${summary.best?.metric?.toFixed(3) ?? "-"} (best, trial ${summary.best?.id})`,
);
for (const record of summary.records.filter((each) => each.holdout !== undefined)) {
  const { metric, incumbent, passed } = record.holdout ?? {};
  const figure = (value: number | null | undefined) => (typeof value === "number" ? value.toFixed(3) : "-");
  console.log(
    `holdout at trial ${record.id}: ${figure(metric)} vs incumbent ${figure(incumbent)}, ${passed ? "no regression" : "regressed"}: ${record.status}`,
  );
}

if (summary.records.some((record) => record.status === "keep" && record.kind !== "baseline")) {
  console.log("\nablating the kept changes…");
  const ablation = await runAblation({
    directory: work,
    tag: loaded.config.tag,
    runner: options.runner,
    objective: options.objective,
    // The offline agent is deterministic: one run each says it all. A real model needs more.
    repeats: llm ? 3 : 1,
    protected: loaded.config.scope.protected,
  });
  console.log(formatAblation(ablation));
}
const report = await writeReport({ directory: work, tag: loaded.config.tag, format: "md" });
console.log(`\nreport: ${report.file}`);
