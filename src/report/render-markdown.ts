import type { TrialRecord } from "../spec/records.js";
import { renderCaseFlipsMarkdown, renderSealedTestMarkdown } from "./evaluation-sections.js";
import {
  decimalsFor,
  formatCost,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  formatTokens,
} from "./format-values.js";
import { type ProgressChartOptions, renderProgressChart } from "./progress-chart.js";
import { buildReportData, describeTrials, type ReportData, type ReportDataOptions } from "./report-data.js";

export type MarkdownReportOptions = ReportDataOptions & {
  /** How the markdown refers to the chart file written beside it. Default `report.svg`. */
  chartFile?: string;
  chart?: ProgressChartOptions;
};

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}

function ratio(value: number | null): string {
  return value === null ? "-" : `${(value * 100).toFixed(1)}%`;
}

/** Markdown summary and trial table from data already computed; the chart is referenced, not inlined. */
export function renderMarkdownDocument(
  data: ReportData,
  chartFile = "report.svg",
  curvesFile?: string,
): string {
  const decimals = decimalsFor(data.baseline?.metric ?? data.best?.metric ?? 1);
  const direction = data.direction === "minimize" ? "lower is better" : "higher is better";
  const lines: string[] = [`# autoresearch: ${data.tag}`, "", `${data.metric}, ${direction}.`, ""];
  lines.push(`![progress of ${cell(data.metric)} over the trials](${chartFile})`, "");
  if (curvesFile !== undefined) lines.push(`![learning curves of ${cell(data.metric)}](${curvesFile})`, "");
  const improvement =
    data.improvement === undefined
      ? ""
      : ` (${formatDelta(data.improvement.absolute, decimals)}, ${formatPercent(data.improvement.relative)})`;
  lines.push(
    "| | |",
    "|---|---|",
    `| baseline → best | ${formatMetric(data.baseline?.metric, decimals)} → ${formatMetric(data.best?.metric, decimals)}${improvement} |`,
  );
  if (data.best !== undefined)
    lines.push(`| best trial | #${data.best.id}: ${cell(data.best.description)} |`);
  lines.push(
    `| trials | ${describeTrials(data)} |`,
    `| keep rate | ${ratio(data.keepRate)} (${data.counts.keep} kept, ${data.counts.discard} discarded) |`,
    `| crash rate | ${ratio(data.crashRate)} (${data.counts.crash} crashed, ${data.counts.timeout} timed out) |`,
    `| wall time | ${formatDuration(data.wallTimeMs)} |`,
    `| compute time | ${formatDuration(data.computeTimeMs)}${data.slots > 1 ? ` over ${data.slots} slots` : ""} |`,
  );
  if (data.tokens !== null) {
    lines.push(
      `| tokens | ${formatTokens(data.tokens.total)} (${formatTokens(data.tokens.input)} in, ${formatTokens(data.tokens.output)} out) |`,
    );
  }
  if (data.costUsd !== null) lines.push(`| cost | ${formatCost(data.costUsd)} |`);
  if (data.sandbox !== undefined) lines.push(`| sandbox | ${cell(data.sandbox)} |`);
  lines.push(...renderSealedTestMarkdown(data));
  lines.push(
    "",
    "## Trials",
    "",
    `Each trial's diff: \`git show refs/autoresearch/${data.tag}/trials/<id>\`.`,
    "",
    `| # | status | ${cell(data.metric)} | Δ incumbent | description | duration | tokens | cost |`,
    "|--:|---|--:|--:|---|--:|--:|--:|",
  );
  for (const row of data.rows) {
    const status = row.label === "keep" ? "**keep**" : row.label;
    lines.push(
      `| ${row.id} | ${status} | ${formatMetric(row.metric, decimals)} | ${formatDelta(row.delta, decimals)} | ${cell(row.commit === null && row.label !== "baseline" && row.reason !== "" ? `${row.description}: ${row.reason}` : row.description)} | ${formatDuration(row.durationMs)} | ${row.tokens === null ? "" : formatTokens(row.tokens)} | ${row.costUsd === null ? "" : formatCost(row.costUsd)} |`,
    );
  }
  lines.push(...renderCaseFlipsMarkdown(data));
  return `${lines.join("\n")}\n`;
}

/** A markdown report and the SVG chart it refers to. */
export async function renderMarkdownReport(
  records: readonly TrialRecord[],
  options: MarkdownReportOptions = {},
): Promise<{ markdown: string; svg: string }> {
  const { chartFile, chart, ...dataOptions } = options;
  const data = buildReportData(records, dataOptions);
  const svg = await renderProgressChart(data, chart);
  return { markdown: renderMarkdownDocument(data, chartFile), svg };
}
