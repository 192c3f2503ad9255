export type { ProgressChartOptions } from "./progress-chart.js";
export { buildProgressChartSpec, renderProgressChart } from "./progress-chart.js";
export type { ProgressRenderer, ProgressRendererOptions } from "./progress-renderer.js";
export { createProgressRenderer, formatTrialLine } from "./progress-renderer.js";
export type {
  FormatStatusOptions,
  LockHolder,
  ReadStatusOptions,
  ResearchStatus,
  TagSummary,
} from "./read-status.js";
export { formatStatusTable, readLock, readStatus } from "./read-status.js";
export type { HtmlReportOptions } from "./render-html.js";
export { renderDiffHtml, renderHtmlDocument, renderHtmlReport } from "./render-html.js";
export { renderJsonReport } from "./render-json.js";
export type { MarkdownReportOptions } from "./render-markdown.js";
export { renderMarkdownDocument, renderMarkdownReport } from "./render-markdown.js";
export type { ReportData, ReportDataOptions, ReportRow } from "./report-data.js";
export { buildReportData, inferDirection, inferMetricName } from "./report-data.js";
export type { ReadTrialDiffsOptions } from "./trial-diffs.js";
export { readTrialDiffs, selectDiffTrials } from "./trial-diffs.js";
export type { WriteReportOptions, WriteReportResult } from "./write-report.js";
export { writeReport } from "./write-report.js";
