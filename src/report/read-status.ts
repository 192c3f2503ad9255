import { readdir, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import { readLatestFinalEvaluation } from "../ledgers/final-evaluation-file.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { readResearchDescription } from "../ledgers/research-description.js";
import { readAllInFlight } from "../loop/in-flight.js";
import type { TrialRecord } from "../spec/records.js";
import { isProcessAlive } from "../workspace/lock.js";
import { formatFinalEvaluation } from "./evaluation-text.js";
import {
  decimalsFor,
  formatCost,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  truncate,
} from "./format-values.js";
import { buildReportData, describeTrials, type ReportData, type ReportRow } from "./report-data.js";

const readStatusOptionsSchema = z.strictObject({
  directory: z.string().min(1),
  tag: z
    .string()
    .min(1)
    .regex(/^[^/\\]+$/, "a tag without slashes")
    .optional(),
  metric: z.string().min(1).optional(),
  direction: z.enum(["minimize", "maximize"]).optional(),
});

export type ReadStatusOptions = z.input<typeof readStatusOptionsSchema>;

/** Who holds a tag's lock. `alive` is `undefined` when the holder runs on another host and cannot be checked. */
export interface LockHolder {
  pid: number | null;
  hostname: string | null;
  startedAt: string | null;
  alive: boolean | undefined;
}

export interface TagSummary {
  tag: string;
  /** Trials recorded, the baseline included. */
  trials: number;
  metric: string;
  best: { id: number; metric: number | null } | undefined;
  lastEndedAt: string | null;
  lock: LockHolder | undefined;
}

/** The status of one research, or, when no tag was asked for, the researches found in the directory. */
export type ResearchStatus =
  | { type: "tags"; directory: string; tags: TagSummary[] }
  | {
      type: "tag";
      directory: string;
      tag: string;
      ledgerFile: string;
      records: TrialRecord[];
      data: ReportData;
      lock: LockHolder | undefined;
      /** True while a driver holds the lock and is alive (or cannot be checked from this host). */
      running: boolean;
      /** Trials under way while the driver runs, with the slot running each (none while it is proposed). */
      inFlight: { id: number; kind: string; description: string; slot: number | null }[];
    };

/** Reads `.autoresearch/<tag>/lock` (`{ pid, hostname, startedAt }`) and checks whether its holder still runs. */
export async function readLock(file: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "EISDIR") return { pid: null, hostname: null, startedAt: null, alive: undefined };
    throw error;
  }
  let value: { pid?: unknown; hostname?: unknown; startedAt?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) value = parsed;
  } catch {
    // A lock being written right now can be empty; it still says someone holds the tag.
  }
  const pid =
    typeof value.pid === "number" && Number.isInteger(value.pid) && value.pid > 0 ? value.pid : null;
  const host = typeof value.hostname === "string" ? value.hostname : null;
  const startedAt = typeof value.startedAt === "string" ? value.startedAt : null;
  const local = host === null || host === hostname();
  return { pid, hostname: host, startedAt, alive: pid !== null && local ? isProcessAlive(pid) : undefined };
}

async function listTags(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(join(directory, ".autoresearch"), { withFileTypes: true });
    return entries
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/**
 * What `autoresearch status` shows: the trials so far, the best and whether a driver is running. Safe while
 * another process appends to the ledger: a torn last line is skipped.
 */
export async function readStatus(options: ReadStatusOptions): Promise<ResearchStatus> {
  const parsed = parseOptions(readStatusOptionsSchema, options);
  const { directory, tag } = parsed;
  // What the numbers mean: as asked, else as the loop described it in research.json, else inferred.
  const dataOptionsFor = async (name: string) => {
    const described = await readResearchDescription(join(directory, ".autoresearch", name));
    const metric = parsed.metric ?? described?.metric;
    const direction = parsed.direction ?? described?.direction;
    return { ...(metric === undefined ? {} : { metric }), ...(direction === undefined ? {} : { direction }) };
  };
  if (tag === undefined) {
    const tags: TagSummary[] = [];
    for (const name of await listTags(directory)) {
      const records = await readLedgerFile(join(directory, ".autoresearch", name, "ledger.jsonl"));
      const lock = await readLock(join(directory, ".autoresearch", name, "lock"));
      if (records.length === 0 && lock === undefined) continue;
      const data = buildReportData(records, { tag: name, ...(await dataOptionsFor(name)) });
      tags.push({
        tag: name,
        trials: data.trials,
        metric: data.metric,
        best: data.best === undefined ? undefined : { id: data.best.id, metric: data.best.metric },
        lastEndedAt: data.lastEndedAt,
        lock,
      });
    }
    return { type: "tags", directory, tags };
  }
  const ledgerFile = join(directory, ".autoresearch", tag, "ledger.jsonl");
  const records = await readLedgerFile(ledgerFile);
  const lock = await readLock(join(directory, ".autoresearch", tag, "lock"));
  const data = buildReportData(records, { tag, ...(await dataOptionsFor(tag)) });
  const finalEvaluation = await readLatestFinalEvaluation(join(directory, ".autoresearch", tag));
  if (finalEvaluation !== undefined) data.finalEvaluation = finalEvaluation;
  const running = lock !== undefined && lock.alive !== false;
  const recorded = new Set(records.map((record) => record.id));
  // A dead driver's markers are what the next start recovers, not trials under way.
  const inFlight = running
    ? (await readAllInFlight(join(directory, ".autoresearch", tag)))
        .filter((trial) => !recorded.has(trial.id))
        .map((trial) => ({
          id: trial.id,
          kind: trial.kind,
          description: trial.description,
          slot: trial.slot ?? null,
        }))
    : [];
  return { type: "tag", directory, tag, ledgerFile, records, data, lock, running, inFlight };
}

/** One line on the kept gain against the noise floor, for the terminal and the report. */
export function noiseText(noise: NonNullable<ReportData["noise"]>): string {
  const sigmas = `${Number(noise.sigmas.toFixed(1))}σ`;
  return noise.withinNoise
    ? `the kept gain (${sigmas}, σ = ${formatMetric(noise.sd)} between repeated baseline runs) is within the noise: it may not be real`
    : `the kept gain is ${sigmas} of the noise (σ = ${formatMetric(noise.sd)} between repeated baseline runs)`;
}

export interface FormatStatusOptions {
  /** Show only the latest trials (the baseline always shows). Default 30; `Infinity` shows all. */
  limit?: number;
  /** Terminal width the description column is cut to. Default 100. */
  columns?: number;
}

function lockText(lock: LockHolder | undefined): string {
  if (lock === undefined) return "not running";
  const since = lock.startedAt === null ? "" : `, since ${lock.startedAt.replace("T", " ").slice(0, 19)}`;
  const who =
    lock.pid === null
      ? ""
      : ` (pid ${lock.pid}${lock.hostname === null ? "" : ` on ${lock.hostname}`}${since})`;
  if (lock.alive === true) return `running${who}`;
  if (lock.alive === false) return `not running: stale lock${who}`;
  return `locked${who}, cannot check from this host`;
}

function table(header: string[], rows: string[][], alignRight: boolean[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, column) => {
        const width = widths[column] ?? 0;
        if (column === cells.length - 1) return text;
        return alignRight[column] ? text.padStart(width) : text.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A row's description, with the reason when the trial failed: that is what there is to know about it. */
function describeRow(row: ReportRow): string {
  const failed = !["keep", "discard"].includes(row.status);
  if (!failed || row.reason === "") return row.description;
  const placeholder = row.description === "baseline" || row.description === "(failed proposal)";
  return placeholder ? row.reason : `${row.description} (${row.reason})`;
}

/** The status as plain text for a terminal (no trailing newline): a header, the best, and the latest trials. */
export function formatStatusTable(status: ResearchStatus, options: FormatStatusOptions = {}): string {
  const columns = options.columns ?? 100;
  if (status.type === "tags") {
    if (status.tags.length === 0) return `No research found in ${status.directory}/.autoresearch`;
    const rows = status.tags.map((entry) => [
      entry.tag,
      String(entry.trials),
      entry.best === undefined ? "-" : `${formatMetric(entry.best.metric)} (#${entry.best.id})`,
      entry.metric,
      entry.lastEndedAt === null ? "-" : entry.lastEndedAt.replace("T", " ").slice(0, 16),
      lockText(entry.lock),
    ]);
    const alignRight = [false, true, true, false, false, false];
    return table(["tag", "trials", "best", "metric", "last trial", "state"], rows, alignRight).join("\n");
  }
  const { data } = status;
  const decimals = decimalsFor(data.baseline?.metric ?? data.best?.metric ?? 1);
  const lines = [`research ${status.tag}: ${lockText(status.lock)}`];
  if (data.trials === 0) {
    lines.push(`no trials recorded yet in ${status.ledgerFile}`);
    return lines.join("\n");
  }
  const direction = data.direction === "minimize" ? "lower is better" : "higher is better";
  lines.push(`${data.metric}, ${direction} · ${describeTrials(data)}`);
  if (data.baseline !== undefined && data.baseline.status !== "keep") {
    // Nothing can be kept without a measured baseline: say so before anything else.
    const reason = truncate(data.baseline.reason, Math.max(40, columns - 40));
    lines.push(
      `the baseline (trial ${data.baseline.id}) did not measure: ${data.baseline.status}, ${reason}`,
    );
  }
  const budget = [
    `compute ${formatDuration(data.computeTimeMs)}${data.slots > 1 ? ` over ${data.slots} slots` : ""}`,
    ...(data.costUsd === null ? [] : [`proposer cost ${formatCost(data.costUsd)}`]),
  ];
  lines.push(budget.join(" · "));
  for (const trial of status.inFlight) {
    const where = trial.slot === null ? "being proposed" : `running in slot ${trial.slot}`;
    lines.push(`now: trial ${trial.id} ${where}: ${truncate(trial.description, 60)}`);
  }
  if (data.best !== undefined) {
    const versus =
      data.improvement === undefined || data.best.id === data.baseline?.id
        ? ""
        : ` (${formatPercent(data.improvement.relative)} vs baseline ${formatMetric(data.baseline?.metric, decimals)})`;
    lines.push(
      `best: trial ${data.best.id}  ${formatMetric(data.best.metric, decimals)}${versus}  ${truncate(data.best.description, 60)}`,
    );
    if (data.noise !== undefined) lines.push(noiseText(data.noise));
  }
  if (data.finalEvaluation !== undefined) lines.push(formatFinalEvaluation(data.finalEvaluation));
  lines.push("");
  const limit = options.limit ?? 30;
  const shown =
    data.rows.length > limit
      ? data.rows.filter((row, index) => row.kind === "baseline" || index >= data.rows.length - limit)
      : data.rows;
  const hidden = data.rows.length - shown.length;
  const fixedWidth = 40;
  const rows = shown.map((row) => [
    String(row.id),
    row.label,
    formatMetric(row.metric, decimals),
    formatDelta(row.delta, decimals),
    truncate(describeRow(row), Math.max(20, columns - fixedWidth)),
  ]);
  const rendered = table(["#", "status", data.metric, "delta", "description"], rows, [
    true,
    false,
    true,
    true,
    false,
  ]);
  if (hidden > 0) {
    // Just below the header, or below the baseline when it is kept for reference.
    rendered.splice(shown[0]?.kind === "baseline" ? 2 : 1, 0, `… ${hidden} earlier trials not shown`);
  }
  lines.push(...rendered);
  return lines.join("\n");
}
