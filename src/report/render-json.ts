import type { FinalEvaluation, TrialRecord } from "../spec/records.js";
import { buildReportData, type ReportDataOptions } from "./report-data.js";

/** The report as JSON: the summary numbers, one row per trial, and the records themselves. */
export function renderJsonReport(
  records: readonly TrialRecord[],
  options: ReportDataOptions = {},
  finalEvaluation?: FinalEvaluation,
): string {
  const { rows, ...summary } = buildReportData(records, options);
  if (finalEvaluation !== undefined) summary.finalEvaluation = finalEvaluation;
  return `${JSON.stringify({ summary, trials: rows, records }, null, 2)}\n`;
}
