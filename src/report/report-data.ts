import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { Direction } from "../spec/objective.js";
import type { FinalEvaluation, TrialKind, TrialRecord, TrialStatus } from "../spec/records.js";
import { formatFlips } from "./evaluation-text.js";

export const reportDataOptionsSchema = z.object({
  tag: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  direction: z.enum(["minimize", "maximize"]).optional(),
});

/** What the summary is computed for: the metric's name and direction are inferred from the records when absent. */
export type ReportDataOptions = z.input<typeof reportDataOptionsSchema>;

/** One trial as the report shows it. */
export interface ReportRow {
  id: number;
  kind: TrialKind;
  status: TrialStatus;
  description: string;
  reason: string;
  metric: number | null;
  /** The incumbent's metric when this trial started, the number it had to beat. */
  incumbentMetric: number | null;
  /** `metric - incumbentMetric`, `null` when either is unknown. */
  delta: number | null;
  /** The incumbent's metric after this trial: the running best. */
  bestAfter: number | null;
  durationMs: number;
  runMs: number;
  tokens: number | null;
  costUsd: number | null;
  commit: string | null;
  parent: string;
  startedAt: string;
  endedAt: string;
  /** For a per-case comparison: the cases it turned, both ways (`better: a, b; worse: c`). */
  flips?: string;
}

/** The numbers a report, the status table and the JSON export are built from. */
export interface ReportData {
  tag: string;
  metric: string;
  direction: Direction;
  baseline: { id: number; metric: number | null } | undefined;
  /** The final incumbent: the last kept trial, or the baseline when nothing was kept. */
  best: { id: number; metric: number | null; description: string } | undefined;
  /** Best minus baseline, absolute and relative to the baseline's magnitude. */
  improvement: { absolute: number; relative: number | null } | undefined;
  /** Records of any kind, the baseline included. */
  records: number;
  /** Trials other than the baseline. */
  trials: number;
  counts: Record<TrialStatus, number>;
  /** Kept trials over trials (baseline excluded); `null` with no trials. */
  keepRate: number | null;
  /** Crashed and timed-out trials over trials. */
  crashRate: number | null;
  /** First `startedAt` to last `endedAt`. */
  wallTimeMs: number;
  /** Sum of the experiment runs' durations. */
  computeTimeMs: number;
  /** Sum of the proposers' durations. */
  proposeTimeMs: number;
  tokens: { input: number; output: number; cachedInput: number; total: number } | null;
  costUsd: number | null;
  firstStartedAt: string | null;
  lastEndedAt: string | null;
  rows: ReportRow[];
  /** The sealed test, when the research ran one (read from `final-evaluation.jsonl`, not from the ledger). */
  finalEvaluation?: FinalEvaluation;
}

const statuses: TrialStatus[] = ["keep", "discard", "crash", "timeout", "invalid", "interrupted"];

function hasMetric(record: TrialRecord): record is TrialRecord & { metric: number } {
  return typeof record.metric === "number" && Number.isFinite(record.metric);
}

/**
 * The metric's name: the entry of `metrics` that holds the optimized value. Repeated runs store the mean in
 * `metric` and the last sample in `metrics`, so a sole entry, or the entry nearest the value, is taken then.
 */
export function inferMetricName(records: readonly TrialRecord[]): string | undefined {
  const votes = new Map<string, number>();
  for (const record of records) {
    if (!hasMetric(record)) continue;
    const entries = Object.entries(record.metrics).filter(([, value]) => Number.isFinite(value));
    if (entries.length === 0) continue;
    const exact = entries.find(([, value]) => value === record.metric);
    const name =
      exact?.[0] ??
      (entries.length === 1
        ? entries[0]?.[0]
        : entries.reduce((nearest, entry) =>
            Math.abs(entry[1] - record.metric) < Math.abs(nearest[1] - record.metric) ? entry : nearest,
          )[0]);
    if (name === undefined) continue;
    votes.set(name, (votes.get(name) ?? 0) + (exact === undefined ? 1 : 3));
    if (votes.size === 1 && (votes.get(name) ?? 0) >= 9) break;
  }
  let chosen: string | undefined;
  let most = 0;
  for (const [name, count] of votes) {
    if (count > most) {
      chosen = name;
      most = count;
    }
  }
  return chosen;
}

/** Which way is better: from the kept trials' comparisons, else from kept metrics against the baseline. */
export function inferDirection(records: readonly TrialRecord[]): Direction | undefined {
  const baseline = records.find((record) => record.kind === "baseline");
  for (const record of records) {
    if (record.status !== "keep" || record.kind === "baseline") continue;
    const delta = record.comparison?.delta;
    if (delta !== undefined && Number.isFinite(delta) && delta !== 0)
      return delta < 0 ? "minimize" : "maximize";
  }
  if (baseline !== undefined && hasMetric(baseline)) {
    for (const record of records) {
      if (record.status !== "keep" || record.kind === "baseline" || !hasMetric(record)) continue;
      if (record.metric !== baseline.metric) return record.metric < baseline.metric ? "minimize" : "maximize";
    }
  }
  return undefined;
}

function parseOptions(options: ReportDataOptions): z.output<typeof reportDataOptionsSchema> {
  const parsed = reportDataOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  return parsed.data;
}

/** Summary numbers and one row per trial, computed from ledger records alone (no git, no files). */
export function buildReportData(
  records: readonly TrialRecord[],
  options: ReportDataOptions = {},
): ReportData {
  const parsed = parseOptions(options);
  const ordered = [...records].sort((a, b) => a.id - b.id);
  const counts = Object.fromEntries(statuses.map((status) => [status, 0])) as Record<TrialStatus, number>;
  const rows: ReportRow[] = [];
  let incumbent: TrialRecord | undefined;
  let baseline: TrialRecord | undefined;
  let computeTimeMs = 0;
  let proposeTimeMs = 0;
  let input = 0;
  let output = 0;
  let cachedInput = 0;
  let sawTokens = false;
  let costUsd = 0;
  let sawCost = false;
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = Number.NEGATIVE_INFINITY;
  let trials = 0;
  let kept = 0;
  let crashed = 0;

  for (const record of ordered) {
    if (record.kind === "baseline" && baseline === undefined) baseline = record;
    else {
      trials += 1;
      counts[record.status] = (counts[record.status] ?? 0) + 1;
      if (record.status === "keep") kept += 1;
      if (record.status === "crash" || record.status === "timeout") crashed += 1;
    }
    const incumbentMetric = incumbent !== undefined && hasMetric(incumbent) ? incumbent.metric : null;
    const metric = hasMetric(record) ? record.metric : null;
    if (
      record.status === "keep" ||
      (record.kind === "baseline" && incumbent === undefined && metric !== null)
    ) {
      incumbent = record;
    }
    const usage = record.proposer?.usage;
    let tokens: number | null = null;
    if (usage !== undefined) {
      sawTokens = true;
      input += usage.inputTokens;
      output += usage.outputTokens;
      cachedInput += usage.cachedInputTokens ?? 0;
      tokens = usage.inputTokens + usage.outputTokens;
    }
    const cost = record.proposer?.costUsd;
    if (cost !== undefined && Number.isFinite(cost)) {
      sawCost = true;
      costUsd += cost;
    }
    const runMs = record.durations?.runMs ?? record.run?.durationMs ?? 0;
    computeTimeMs += runMs;
    proposeTimeMs += record.durations?.proposeMs ?? 0;
    const flips = formatFlips(record.comparison);
    const started = Date.parse(record.startedAt);
    const ended = Date.parse(record.endedAt);
    if (Number.isFinite(started)) firstStart = Math.min(firstStart, started);
    if (Number.isFinite(ended)) lastEnd = Math.max(lastEnd, ended);
    rows.push({
      id: record.id,
      kind: record.kind,
      status: record.status,
      description: record.description,
      reason: record.reason,
      metric,
      incumbentMetric: record.kind === "baseline" ? null : incumbentMetric,
      delta:
        metric !== null && incumbentMetric !== null && record.kind !== "baseline"
          ? metric - incumbentMetric
          : null,
      bestAfter: incumbent !== undefined && hasMetric(incumbent) ? incumbent.metric : null,
      durationMs: record.durations?.totalMs ?? runMs,
      runMs,
      tokens,
      costUsd: cost !== undefined && Number.isFinite(cost) ? cost : null,
      commit: record.commit,
      parent: record.parent,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      ...(flips === undefined ? {} : { flips }),
    });
  }

  const direction = parsed.direction ?? inferDirection(ordered) ?? "minimize";
  const metric = parsed.metric ?? inferMetricName(ordered) ?? "metric";
  const baselineMetric = baseline !== undefined && hasMetric(baseline) ? baseline.metric : null;
  const bestMetric = incumbent !== undefined && hasMetric(incumbent) ? incumbent.metric : null;
  const improvement =
    baselineMetric !== null && bestMetric !== null
      ? {
          absolute: bestMetric - baselineMetric,
          relative: baselineMetric === 0 ? null : (bestMetric - baselineMetric) / Math.abs(baselineMetric),
        }
      : undefined;
  const hasTimes = Number.isFinite(firstStart) && Number.isFinite(lastEnd);

  return {
    tag: parsed.tag ?? ordered[0]?.tag ?? "",
    metric,
    direction,
    baseline: baseline === undefined ? undefined : { id: baseline.id, metric: baselineMetric },
    best:
      incumbent === undefined
        ? undefined
        : { id: incumbent.id, metric: bestMetric, description: incumbent.description },
    improvement,
    records: ordered.length,
    trials,
    counts,
    keepRate: trials === 0 ? null : kept / trials,
    crashRate: trials === 0 ? null : crashed / trials,
    wallTimeMs: hasTimes ? Math.max(0, lastEnd - firstStart) : 0,
    computeTimeMs,
    proposeTimeMs,
    tokens: sawTokens ? { input, output, cachedInput, total: input + output } : null,
    costUsd: sawCost ? costUsd : null,
    firstStartedAt: hasTimes ? new Date(firstStart).toISOString() : null,
    lastEndedAt: hasTimes ? new Date(lastEnd).toISOString() : null,
    rows,
  };
}
