import type { FinalEvaluation } from "../spec/records.js";
import { describeCaseStatistics } from "./evaluation-text.js";
import { decimalsFor, formatDelta, formatMetric } from "./format-values.js";
import type { ReportData } from "./report-data.js";

const sealedNote =
  "Run once when the research ended, on the final best and on the baseline; never used to decide anything.";

interface SealedRow {
  metric: string;
  baseline: string;
  best: string;
  delta: string;
}

function sealedRow(evaluation: FinalEvaluation): SealedRow {
  const { best, baseline } = evaluation;
  const decimals = decimalsFor(baseline.metric ?? best.metric ?? 1);
  return {
    metric: evaluation.metric,
    baseline:
      baseline.error !== undefined && baseline.metric === null
        ? baseline.error
        : formatMetric(baseline.metric, decimals),
    best: best.error !== undefined && best.metric === null ? best.error : formatMetric(best.metric, decimals),
    delta:
      best.metric !== null && baseline.metric !== null
        ? formatDelta(best.metric - baseline.metric, decimals)
        : "",
  };
}

function cell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\s+/g, " ").trim();
}

/** The sealed test as a markdown section; empty without one. */
export function renderSealedTestMarkdown(data: ReportData): string[] {
  const lines: string[] = [];
  const evaluation = data.finalEvaluation;
  if (evaluation !== undefined) {
    const row = sealedRow(evaluation);
    lines.push(
      "",
      "## Sealed test",
      "",
      sealedNote,
      "",
      `| | baseline (#${evaluation.baseline.trial}) | best (#${evaluation.best.trial}) | Δ |`,
      "|---|--:|--:|--:|",
      `| ${cell(row.metric)} | ${cell(row.baseline)} | ${cell(row.best)} | ${row.delta} |`,
    );
    const cases = describeCaseStatistics(evaluation.comparison);
    if (cases !== undefined) lines.push("", `Best against baseline ${cases}.`);
  }
  return lines;
}

/** The cases each trial turned, both ways, as a markdown section; empty when no trial was compared by case. */
export function renderCaseFlipsMarkdown(data: ReportData): string[] {
  const lines: string[] = [];
  const flipped = data.rows.filter((row) => row.flips !== undefined && row.kind !== "baseline");
  if (flipped.length > 0) {
    lines.push(
      "",
      "## Cases turned",
      "",
      "Per-case comparison of each trial against the incumbent it had to beat.",
      "",
    );
    for (const row of flipped) lines.push(`- #${row.id} ${row.status}: ${cell(row.flips ?? "")}`);
  }
  return lines;
}

/** The sealed test as an HTML section (already escaped), or an empty string. */
export function renderSealedTestHtml(data: ReportData, escapeText: (text: string) => string): string {
  const evaluation = data.finalEvaluation;
  if (evaluation === undefined) return "";
  const row = sealedRow(evaluation);
  const cases = describeCaseStatistics(evaluation.comparison);
  return (
    `<h2>Sealed test</h2>\n<p class="facts">${escapeText(sealedNote)}</p>\n` +
    `<table class="sealed"><thead><tr><th></th><th>baseline (#${evaluation.baseline.trial})</th>` +
    `<th>best (#${evaluation.best.trial})</th><th>Δ</th></tr></thead><tbody><tr><td>${escapeText(row.metric)}</td>` +
    `<td class="num">${escapeText(row.baseline)}</td><td class="num">${escapeText(row.best)}</td>` +
    `<td class="num">${escapeText(row.delta)}</td></tr></tbody></table>\n` +
    (cases === undefined ? "" : `<p class="facts">Best against baseline ${escapeText(cases)}.</p>\n`)
  );
}
