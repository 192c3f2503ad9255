/**
 * How long a report of a long research takes: 10,000 trials in a real git repository.
 * Run with `npx tsx bench/report.ts [trials]`.
 */
import { rm, stat } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { readLedgerFile } from "../src/ledgers/jsonl-ledger.js";
import { renderProgressChart } from "../src/report/progress-chart.js";
import { renderHtmlReport } from "../src/report/render-html.js";
import { buildReportData } from "../src/report/report-data.js";
import { readTrialDiffs } from "../src/report/trial-diffs.js";
import { writeReport } from "../src/report/write-report.js";
import { generateDiff } from "../test/fixtures/report/generate-ledger.js";
import { createResearchRepo } from "../test/fixtures/report/research-repo.js";

const trials = Number(process.argv[2] ?? 10_000);
const rows: { stage: string; ms: number; output: string }[] = [];

async function measure<T>(
  stage: string,
  action: () => Promise<T>,
  describe: (value: T) => Promise<string> | string,
) {
  const started = performance.now();
  const value = await action();
  rows.push({ stage, ms: performance.now() - started, output: await describe(value) });
  return value;
}

const megabytes = async (file: string) => `${((await stat(file)).size / 1_048_576).toFixed(1)} MB`;

const repo = await measure(
  "setup: git repository (fast-import)",
  async () => createResearchRepo({ trials }),
  (value) => `${value.records.length} records`,
);
try {
  const ledger = `${repo.directory}/.autoresearch/${repo.tag}/ledger.jsonl`;
  await measure(
    "writeReport html (cold: loads vega)",
    () => writeReport(repo),
    (value) => megabytes(value.file),
  );
  await measure(
    "writeReport html (warm)",
    () => writeReport(repo),
    (value) => megabytes(value.file),
  );
  await measure(
    "writeReport md + svg",
    () => writeReport({ ...repo, format: "md" }),
    async (value) => `${await megabytes(value.file)} + ${await megabytes(value.files[1] ?? value.file)}`,
  );
  await measure(
    "writeReport json",
    () => writeReport({ ...repo, format: "json" }),
    (value) => megabytes(value.file),
  );
  const records = await measure(
    "  read ledger",
    () => readLedgerFile(ledger),
    (value) => `${value.length} records`,
  );
  const data = await measure(
    "  buildReportData",
    async () => buildReportData(records),
    (value) => `best #${value.best?.id}`,
  );
  await measure(
    "  chart (vega-lite -> vega -> SVG)",
    () => renderProgressChart(data),
    (svg) =>
      `${(svg.length / 1_048_576).toFixed(1)} MB, ${(svg.match(/aria-roledescription="point"/g) ?? []).length} points`,
  );
  await measure(
    "  diffs from git (default bound: 1000)",
    () => readTrialDiffs({ directory: repo.directory, records }),
    (diffs) => `${diffs.size} diffs`,
  );
  await measure(
    "  diffs from git (all)",
    () => readTrialDiffs({ directory: repo.directory, records, maxDiffs: Number.POSITIVE_INFINITY }),
    (diffs) => `${diffs.size} diffs`,
  );
  const allDiffs = new Map(
    records.filter((record) => record.commit !== null).map((r) => [r.id, generateDiff(r)]),
  );
  await measure(
    "renderHtmlReport, every diff embedded",
    () => renderHtmlReport(records, { diffs: allDiffs }),
    (html) => `${(html.length / 1_048_576).toFixed(1)} MB`,
  );
} finally {
  await rm(repo.directory, { recursive: true, force: true });
}

const width = Math.max(...rows.map((row) => row.stage.length));
console.log(`report of ${trials} trials (node ${process.version})\n`);
console.log(`${"stage".padEnd(width)}  ${"ms".padStart(8)}  output`);
console.log(`${"-".repeat(width)}  ${"-".repeat(8)}  ${"-".repeat(24)}`);
for (const row of rows)
  console.log(`${row.stage.padEnd(width)}  ${row.ms.toFixed(0).padStart(8)}  ${row.output}`);
const cold = rows.find((row) => row.stage.startsWith("writeReport html (cold"));
if (cold !== undefined) {
  console.log(`\nwriteReport html, ${trials} trials: ${(cold.ms / 1000).toFixed(2)} s (target: under 5 s)`);
}
