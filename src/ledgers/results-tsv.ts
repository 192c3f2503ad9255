import type { TrialRecord } from "../spec/records.js";

/** autoresearch's `results.tsv` columns. The metric column is named after the objective's metric. */
export function resultsHeader(metric = "metric"): string {
  return ["commit", metric, "memory_gb", "status", "description"].join("\t");
}

function clean(text: string): string {
  return text.replace(/[\t\r\n]+/g, " ").trim();
}

/**
 * One `results.tsv` row: short commit, metric (0 for a crash, as autoresearch writes), peak memory in GB (from
 * `peak_vram_mb`, else `peak_memory_mb`).
 */
export function formatResultsRow(record: TrialRecord): string {
  const commit = (record.commit ?? record.parent).slice(0, 7);
  const metric = record.metric === null ? "0.000000" : record.metric.toFixed(6);
  const peakMb = record.metrics.peak_vram_mb ?? record.metrics.peak_memory_mb;
  const memoryGb = peakMb === undefined ? "0.0" : (peakMb / 1024).toFixed(1);
  return [commit, metric, memoryGb, record.status, clean(record.description)].join("\t");
}
