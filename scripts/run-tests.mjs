#!/usr/bin/env node
// Runs the TypeScript tests (vitest) and the Python tests of the nanochat example (pytest), then prints one
// closing line with the totals. Without a Python environment (.venv) the Python tests are skipped with a
// notice, except under CI, where a missing environment is a failure: they must never be skipped silently. The
// same holds for the coding-agent CLIs of the agent proposer's end-to-end tests (scripts/install-agent-clis.sh):
// their test files skip without them, and say so here too.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const extra = process.argv.slice(2);
const report = join(mkdtempSync(join(tmpdir(), "autoresearch-tests-")), "vitest.json");
const vitest = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...extra],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, "utf8"));
  passed += results.numPassedTests;
  failed += results.numFailedTests;
  skipped += results.numPendingTests + (results.numTodoTests ?? 0);
} else failed += 1;
if (vitest.status !== 0 && failed === 0) failed += 1;

const python = join(process.cwd(), ".venv", "bin", "python");
if (extra.length > 0) {
  // A filtered run: only the vitest files asked for.
} else if (existsSync(python)) {
  const pytest = spawnSync(python, ["-m", "pytest", "examples/nanochat/tests", "-q", "-p", "no:cacheprovider"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stdout.write(pytest.stdout ?? "");
  const line = (pytest.stdout ?? "").trim().split("\n").at(-1) ?? "";
  const count = (word) => Number(new RegExp(`(\\d+) ${word}`).exec(line)?.[1] ?? 0);
  passed += count("passed");
  failed += count("failed") + count("error");
  skipped += count("skipped");
  if (pytest.status !== 0 && count("failed") + count("error") === 0) failed += 1;
} else if (process.env.CI) {
  console.error("The Python environment .venv is missing: run scripts/setup-python.sh (CI must run the Python tests).");
  failed += 1;
} else {
  console.log("Python tests skipped: no .venv here (run scripts/setup-python.sh to include them).");
}

if (extra.length === 0) {
  const listed = spawnSync("bash", ["scripts/install-agent-clis.sh", "list"], { encoding: "utf8" });
  const missing = (listed.stdout ?? "")
    .trim()
    .split("\n")
    .filter((line) => line.endsWith(" missing"))
    .map((line) => line.split(" ").slice(1, 3).join("@"));
  if (missing.length > 0 && process.env.CI) {
    console.error(`Agent CLIs missing: ${missing.join(", ")} (CI must run their tests: scripts/install-agent-clis.sh).`);
    failed += 1;
  } else if (missing.length > 0) {
    console.log(`Agent CLI tests skipped: ${missing.join(", ")} not installed (run scripts/install-agent-clis.sh).`);
  }
}

console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
