import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import type { Direction } from "../spec/objective.js";
import type { FinalEvaluation, TrialKind, TrialRecord, TrialStatus } from "../spec/records.js";
import { formatFlips } from "./evaluation-text.js";

export const reportDataOptionsSchema = z.strictObject({
  tag: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  direction: z.enum(["minimize", "maximize"]).optional(),
  /** What confined the research's runs, as the loop recorded it (`bubblewrap 0.8.0`, `unsandboxed: …`, `off`). */
  sandbox: z.string().optional(),
});

/** What the summary is computed for: the metric's name and direction are inferred from the records when absent. */
export type ReportDataOptions = z.input<typeof reportDataOptionsSchema>;

/** A proposal that produced nothing to run: the mutator failed (no key, a model error, a patch that did not apply). */
export function isFailedProposal(record: Pick<TrialRecord, "status" | "reason">): boolean {
  return record.status === "invalid" && /^proposal failed\b/.test(record.reason);
}

/**
 * A trial's outcome in a word or two, the same in the terminal, the status table and the report: `baseline`,
 * `baseline crash` (a baseline that did not measure), `failed` (a failed proposal), else its status.
 */
export function trialLabel(record: Pick<TrialRecord, "kind" | "status" | "reason">): string {
  if (record.kind === "baseline") return record.status === "keep" ? "baseline" : `baseline ${record.status}`;
  return isFailedProposal(record) ? "failed" : record.status;
}

/** Why the trial came to its status, without the label the loop prefixes a baseline's reason with. */
export function reasonOf(record: Pick<TrialRecord, "kind" | "reason">): string {
  return record.kind === "baseline" ? record.reason.replace(/^baseline \w+: /, "") : record.reason;
}

/** One trial as the report shows it. */
export interface ReportRow {
  id: number;
  kind: TrialKind;
  status: TrialStatus;
  /** The outcome as shown: see {@link trialLabel}. */
  label: string;
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
  /** The slot that ran it, when the research ran trials in parallel. */
  slot: number | null;
  /** Its learning curve, when the objective read progress. */
  curve: [number, number][] | null;
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
  /**
   * The baseline that measured, else the last one tried: `status` is `keep` when it measured, and `reason` says
   * why not otherwise.
   */
  baseline: { id: number; metric: number | null; status: TrialStatus; reason: string } | undefined;
  /** The final incumbent: the last kept trial, or the baseline when nothing was kept. */
  best: { id: number; metric: number | null; description: string } | undefined;
  /** Best minus baseline, absolute and relative to the baseline's magnitude. */
  improvement: { absolute: number; relative: number | null } | undefined;
  /** How the kept gain compares with the noise floor, when the baseline was measured more than once. */
  noise: NoiseVerdict | undefined;
  /** Every trial recorded, the baseline included: the one count the CLI, status and report all show. */
  trials: number;
  /** Trials other than the baseline. */
  proposals: number;
  /** Statuses of the trials other than the baseline. */
  counts: Record<TrialStatus, number>;
  /** Of `counts.invalid`, the proposals that failed (see {@link isFailedProposal}). */
  failedProposals: number;
  /** Baseline runs that did not measure (each start after a failed baseline measures it again). */
  failedBaselines: number;
  /** Kept proposals over proposals; `null` with none. */
  keepRate: number | null;
  /** Crashed and timed-out proposals over proposals. */
  crashRate: number | null;
  /** First `startedAt` to last `endedAt`. */
  wallTimeMs: number;
  /** Sum of the experiment runs' durations: compute time in slot-milliseconds. */
  computeTimeMs: number;
  /** How many slots ran trials (1 for a sequential research). */
  slots: number;
  /** Sum of the proposers' durations. */
  proposeTimeMs: number;
  tokens: { input: number; output: number; cachedInput: number; total: number } | null;
  costUsd: number | null;
  firstStartedAt: string | null;
  lastEndedAt: string | null;
  rows: ReportRow[];
  /** What confined the research's runs, when known. */
  sandbox: string | undefined;
  /** The sealed test, when the research ran one (read from `final-evaluation.jsonl`, not from the ledger). */
  finalEvaluation?: FinalEvaluation;
}

/** The kept gain against the run-to-run noise: in noise floors (σ), and whether noise alone could explain it. */
export interface NoiseVerdict {
  /** The noise floor: the sd of the baseline's repeated runs. */
  sd: number;
  /** The gain in the improving direction, in noise floors. */
  sigmas: number;
  /** True when the gain is under two standard errors of the difference of the two means. */
  withinNoise: boolean;
}

/**
 * Whether the best's gain over the baseline stands out of the noise the baseline's repeated runs measured:
 * `undefined` without a noise floor, for a deterministic target, or when nothing was kept.
 */
export function noiseVerdict(
  baseline: TrialRecord | undefined,
  best: TrialRecord | undefined,
  direction: Direction,
): NoiseVerdict | undefined {
  const sd = baseline?.comparison?.statistics?.sd;
  if (baseline === undefined || best === undefined || best.id === baseline.id) return undefined;
  if (sd === undefined || !(sd > 0) || baseline.metric === null || best.metric === null) return undefined;
  const gain = direction === "minimize" ? baseline.metric - best.metric : best.metric - baseline.metric;
  const runs = (record: TrialRecord) => Math.max(1, record.samples?.length ?? 1);
  const standardError = sd * Math.sqrt(1 / runs(baseline) + 1 / runs(best));
  return { sd, sigmas: gain / sd, withinNoise: gain < 2 * standardError };
}

const statuses: TrialStatus[] = ["keep", "discard", "crash", "timeout", "invalid", "interrupted", "pruned"];

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

function normalizeOptions(options: ReportDataOptions): z.output<typeof reportDataOptionsSchema> {
  return parseOptions(reportDataOptionsSchema, options);
}

/**
 * Summary numbers and one row per trial, computed from ledger records alone (no git, no files). The running best
 * follows the ledger's order, which is the order of the keeps even when parallel slots finish trials out of
 * order; rows come out by trial number.
 */
export function buildReportData(
  records: readonly TrialRecord[],
  options: ReportDataOptions = {},
): ReportData {
  const parsed = normalizeOptions(options);
  // Ledger order, not trial numbers: with parallel slots the keeps happen in the order they were recorded.
  const ordered = [...records];
  const keptByCommit = new Map<string, TrialRecord>();
  const slots = new Set<number>();
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
  let proposals = 0;
  let kept = 0;
  let crashed = 0;
  let failedProposals = 0;
  let failedBaselines = 0;

  for (const record of ordered) {
    if (record.kind === "baseline") {
      if (baseline?.status !== "keep") baseline = record;
      if (record.status !== "keep") failedBaselines += 1;
    } else {
      proposals += 1;
      counts[record.status] = (counts[record.status] ?? 0) + 1;
      if (isFailedProposal(record)) failedProposals += 1;
      if (record.status === "keep") kept += 1;
      if (record.status === "crash" || record.status === "timeout") crashed += 1;
    }
    // The incumbent it was measured against: the kept trial at its parent, else the running best.
    const against = keptByCommit.get(record.parent) ?? incumbent;
    const incumbentMetric = against !== undefined && hasMetric(against) ? against.metric : null;
    const metric = hasMetric(record) ? record.metric : null;
    if (
      record.status === "keep" ||
      (record.kind === "baseline" && incumbent === undefined && metric !== null)
    ) {
      incumbent = record;
      if (record.commit !== null) keptByCommit.set(record.commit, record);
    }
    if (record.slot !== undefined) slots.add(record.slot);
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
      label: trialLabel(record),
      description: record.description,
      reason: reasonOf(record),
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
      slot: record.slot ?? null,
      curve: record.curve !== undefined && record.curve.length > 0 ? record.curve : null,
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
    baseline:
      baseline === undefined
        ? undefined
        : { id: baseline.id, metric: baselineMetric, status: baseline.status, reason: reasonOf(baseline) },
    best:
      incumbent === undefined
        ? undefined
        : { id: incumbent.id, metric: bestMetric, description: incumbent.description },
    improvement,
    noise: noiseVerdict(baseline, incumbent, direction),
    trials: ordered.length,
    proposals,
    counts,
    failedProposals,
    failedBaselines,
    keepRate: proposals === 0 ? null : kept / proposals,
    crashRate: proposals === 0 ? null : crashed / proposals,
    wallTimeMs: hasTimes ? Math.max(0, lastEnd - firstStart) : 0,
    computeTimeMs,
    slots: Math.max(1, slots.size),
    proposeTimeMs,
    tokens: sawTokens ? { input, output, cachedInput, total: input + output } : null,
    costUsd: sawCost ? costUsd : null,
    firstStartedAt: hasTimes ? new Date(firstStart).toISOString() : null,
    lastEndedAt: hasTimes ? new Date(lastEnd).toISOString() : null,
    rows: rows.sort((a, b) => a.id - b.id),
    sandbox: parsed.sandbox,
  };
}

/** What the trials came to, in words: "5 kept, 3 discarded, 1 crashed", or "the baseline crashed". */
export function describeOutcomes(
  data: Pick<ReportData, "baseline" | "counts" | "failedProposals" | "failedBaselines">,
): string {
  const { counts } = data;
  const parts: string[] = [];
  if (data.baseline === undefined) parts.push("no baseline");
  else if (data.baseline.status !== "keep") {
    const failed: Partial<Record<TrialStatus, string>> = {
      crash: "crashed",
      timeout: "timed out",
      interrupted: "was interrupted",
    };
    const times = data.failedBaselines > 1 ? ` (${data.failedBaselines} times)` : "";
    parts.push(`the baseline ${failed[data.baseline.status] ?? `was ${data.baseline.status}`}${times}`);
  } else if (data.failedBaselines > 0) {
    parts.push(
      `${data.failedBaselines} failed ${data.failedBaselines === 1 ? "baseline" : "baselines"} before`,
    );
  }
  const entries: [number, string][] = [
    [counts.keep, "kept"],
    [counts.discard, "discarded"],
    [counts.crash, "crashed"],
    [counts.timeout, "timed out"],
    [data.failedProposals, data.failedProposals === 1 ? "failed proposal" : "failed proposals"],
    [counts.invalid - data.failedProposals, "invalid"],
    [counts.interrupted, "interrupted"],
    [counts.pruned, "stopped early"],
  ];
  for (const [count, word] of entries) if (count > 0) parts.push(`${count} ${word}`);
  return parts.join(", ");
}

/**
 * The trial count as every view says it, the baseline included, with what the trials came to:
 * "10 trials, the baseline included: 5 kept, 3 discarded, 1 crashed", or "1 trial: the baseline crashed".
 */
export function describeTrials(
  data: Pick<ReportData, "trials" | "baseline" | "counts" | "failedProposals" | "failedBaselines">,
): string {
  const head = `${data.trials} ${data.trials === 1 ? "trial" : "trials"}${data.baseline === undefined || data.trials <= 1 ? "" : ", the baseline included"}`;
  const outcomes = data.trials === 0 ? "" : describeOutcomes(data);
  return outcomes === "" ? head : `${head}: ${outcomes}`;
}
