import picocolors from "picocolors";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { ResearchEvent } from "../spec/events.js";
import type { TrialKind, TrialRecord } from "../spec/records.js";
import { formatFinalEvaluation } from "./evaluation-text.js";
import {
  decimalsFor,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  truncate,
} from "./format-values.js";
import { inferMetricName } from "./report-data.js";

const progressRendererOptionsSchema = z.object({
  stream: z.custom<NodeJS.WritableStream>(
    (value) =>
      typeof value === "object" &&
      value !== null &&
      typeof (value as { write?: unknown }).write === "function",
    "a writable stream",
  ),
  isTTY: z.boolean().optional(),
  now: z.custom<() => number>((value) => typeof value === "function", "a function").optional(),
  timeoutMs: z.number().positive().optional(),
  color: z.boolean().optional(),
  refreshMs: z.number().int().min(0).optional(),
  columns: z.number().int().positive().optional(),
});

export type ProgressRendererOptions = z.input<typeof progressRendererOptionsSchema>;

export interface ProgressRenderer {
  /** Feeds one event of `streamResearch`. */
  handle(event: ResearchEvent): void;
  /** Stops the refresh timer and leaves the last block on screen. */
  close(): void;
}

/** A line of a run's log that looks like a metric: `name: number` or `name=number` somewhere in it. */
const metricLine = /(?:^|[\s|,;(])[A-Za-z_][\w./-]*\s*[:=]\s*[-+]?(?:\d|\.\d)/;

function metricNameOf(record: TrialRecord): string {
  return inferMetricName([record]) ?? "metric";
}

function outcome(record: TrialRecord, metric: string): string {
  if (record.metric !== null) return `${metric} ${formatMetric(record.metric)}`;
  if (record.status === "timeout" || record.run?.timedOut) return "timed out";
  if (record.run?.signal) return `killed by ${record.run.signal}`;
  if (record.run !== null && record.run.exitCode !== null && record.run.exitCode !== 0) {
    return `exit ${record.run.exitCode}`;
  }
  return "no metric";
}

/**
 * The one line printed for a finished trial:
 * `trial 3  keep     val_bpb 0.9712  (-0.0079)  LEARNING_RATE 0.04 -> 0.06  12.3s`.
 * The delta is against `previousBest` (the incumbent the trial had to beat), else the record's own comparison.
 */
export function formatTrialLine(
  record: TrialRecord,
  previousBest?: TrialRecord,
  metricName?: string,
): string {
  const name =
    metricName ??
    inferMetricName([record]) ??
    (previousBest === undefined ? undefined : inferMetricName([previousBest])) ??
    "metric";
  const parts = [outcome(record, name)];
  if (record.metric !== null && record.kind !== "baseline") {
    const decimals = decimalsFor(record.metric);
    const delta =
      previousBest?.metric !== null && previousBest?.metric !== undefined
        ? record.metric - previousBest.metric
        : record.comparison?.delta;
    if (delta !== undefined && Number.isFinite(delta)) parts.push(`(${formatDelta(delta, decimals)})`);
    const paired = record.comparison?.statistics;
    if (paired?.pairedCases !== undefined) {
      parts.push(`[cases +${paired.improvedCases ?? 0}/-${paired.regressedCases ?? 0}]`);
    }
  }
  if (record.kind !== "baseline" || record.description !== "baseline")
    parts.push(truncate(record.description, 72));
  parts.push(formatDuration(record.durations.totalMs));
  const status = record.kind === "baseline" ? "baseline" : record.status;
  return `trial ${record.id}  ${status.padEnd(8)} ${parts.join("  ")}`;
}

interface CurrentTrial {
  trial: number;
  kind: TrialKind;
  startedAt: number;
  runStartedAt: number | undefined;
  description: string | undefined;
  run: string | undefined;
  lastMetricLine: string | undefined;
}

/**
 * Live progress of a research in a terminal. With a TTY it redraws a small block in place (current trial, a
 * time bar against the timeout, the latest metric line of its log, the best so far, counts) and prints one
 * permanent line per finished trial above it; without one it prints plain lines only, no escape codes.
 */
export function createProgressRenderer(options: ProgressRendererOptions): ProgressRenderer {
  const parsed = progressRendererOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { stream } = parsed.data;
  const tty = parsed.data.isTTY ?? (stream as { isTTY?: boolean }).isTTY === true;
  const now = parsed.data.now ?? Date.now;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  const colors = picocolors.createColors(tty && (parsed.data.color ?? !noColor));
  const refreshMs = parsed.data.refreshMs ?? 1000;
  const timeoutMs = parsed.data.timeoutMs;

  let tag = "";
  let metric: string | undefined;
  let best: TrialRecord | undefined;
  let baseline: TrialRecord | undefined;
  let current: CurrentTrial | undefined;
  const counts = { keep: 0, discard: 0, crash: 0, other: 0 };
  let drawn = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const width = () =>
    Math.max(40, (parsed.data.columns ?? (stream as { columns?: number }).columns ?? 100) - 1);
  const clip = (line: string) => {
    const limit = width();
    return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
  };

  function bar(elapsed: number, limit: number): string {
    const size = 24;
    const fraction = Math.min(1, elapsed / limit);
    const filled = Math.round(fraction * size);
    const paint = fraction >= 0.9 ? colors.red : fraction >= 0.7 ? colors.yellow : colors.green;
    return `${paint("█".repeat(filled))}${colors.dim("░".repeat(size - filled))}`;
  }

  function bestText(): string {
    if (best === undefined || best.metric === null) return "best -";
    const name = metric ?? metricNameOf(best);
    let text = `best ${name} ${formatMetric(best.metric)} (trial ${best.id})`;
    if (baseline?.metric !== null && baseline?.metric !== undefined && best.id !== baseline.id) {
      text += ` ${formatPercent((best.metric - baseline.metric) / Math.abs(baseline.metric))} vs baseline`;
    }
    return text;
  }

  function block(): string[] {
    const lines: string[] = [];
    if (current !== undefined) {
      const head = `trial ${current.trial}  ${current.kind}${current.description === undefined ? "  proposing…" : `  ${current.description}`}`;
      lines.push(colors.bold(clip(head)));
      const elapsed = now() - (current.runStartedAt ?? current.startedAt);
      const phase = current.run ?? "proposing";
      lines.push(
        timeoutMs === undefined
          ? `${formatDuration(elapsed)}  ${phase}`
          : `${bar(elapsed, timeoutMs)} ${formatDuration(elapsed)} / ${formatDuration(timeoutMs)}  ${phase}`,
      );
      lines.push(colors.dim(clip(current.lastMetricLine ?? "")));
    }
    const tally = `kept ${counts.keep}  discarded ${counts.discard}  crashed ${counts.crash}${counts.other > 0 ? `  other ${counts.other}` : ""}`;
    lines.push(clip(`${bestText()}  ·  ${tally}`));
    return lines;
  }

  function erase(): void {
    if (drawn > 0) stream.write(`\x1b[${drawn}F\x1b[0J`);
    drawn = 0;
  }

  function draw(): void {
    if (!tty || closed) return;
    erase();
    const lines = block();
    stream.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  }

  /** A permanent line: above the block in a TTY, a plain line otherwise. */
  function print(line: string): void {
    if (tty) {
      erase();
      stream.write(`${line}\n`);
      draw();
    } else stream.write(`${line}\n`);
  }

  function colorLine(record: TrialRecord, line: string): string {
    if (record.kind === "baseline") return colors.blue(line);
    if (record.status === "keep") return colors.green(line);
    if (record.status === "discard") return colors.dim(line);
    return colors.red(line);
  }

  function startTimer(): void {
    if (!tty || refreshMs === 0 || timer !== undefined || closed) return;
    timer = setInterval(draw, refreshMs);
    timer.unref?.();
  }

  function stopTimer(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  return {
    handle(event) {
      if (closed) return;
      switch (event.type) {
        case "research-start": {
          tag = event.tag;
          const resumed = event.resumed > 0 ? `, resuming after ${event.resumed} trials` : "";
          print(`research ${event.tag} on ${event.branch} in ${event.directory}${resumed}`);
          for (const warning of event.warnings ?? []) print(colors.yellow(`warning: ${warning}`));
          break;
        }
        case "trial-start":
          current = {
            trial: event.trial,
            kind: event.kind,
            startedAt: now(),
            runStartedAt: undefined,
            description: event.repair === undefined ? undefined : `repair of trial ${event.repair.trial.id}`,
            run: undefined,
            lastMetricLine: undefined,
          };
          draw();
          startTimer();
          break;
        case "proposal-end":
          if (current?.trial === event.trial) {
            if (event.proposal.type === "edit")
              current.description = truncate(event.proposal.description, 72);
            else if (event.proposal.type === "failed")
              current.description = `proposal failed: ${event.proposal.error}`;
            draw();
          }
          break;
        case "run-start":
          if (current?.trial === event.trial) {
            current.runStartedAt = now();
            current.run =
              event.of > 1 || event.role !== "candidate"
                ? `running ${event.role} ${event.sample}/${event.of}`
                : "running";
            draw();
          }
          break;
        case "run-line":
          if (current?.trial === event.trial && metricLine.test(event.line)) {
            // The run's own colours and carriage returns would break the redraw.
            current.lastMetricLine = event.line
              .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
              .replace(/[\x00-\x1f\x7f]+/g, " ")
              .trim();
            draw();
          }
          break;
        case "run-end":
          break;
        case "trial-end": {
          const { record } = event;
          metric ??= record.metric === null ? undefined : metricNameOf(record);
          if (record.kind === "baseline") baseline = record;
          else if (record.status === "keep") counts.keep += 1;
          else if (record.status === "discard") counts.discard += 1;
          else if (record.status === "crash" || record.status === "timeout") counts.crash += 1;
          else counts.other += 1;
          const line = formatTrialLine(record, best, metric);
          best = event.best ?? best;
          if (current?.trial === record.id) current = undefined;
          if (current === undefined) stopTimer();
          print(colorLine(record, line));
          break;
        }
        case "final-evaluation-start":
          print(`sealed test: measuring the best (#${event.best}) and the baseline (#${event.baseline})…`);
          break;
        case "final-evaluation-end":
          print(colors.bold(formatFinalEvaluation(event.finalEvaluation)));
          break;
        case "research-end": {
          stopTimer();
          current = undefined;
          const { summary } = event;
          best = summary.best ?? best;
          const ended = `research ${summary.tag || tag} ended (${summary.stopReason}): ${summary.trials} trials, ${summary.kept} kept, ${bestText()}, ${formatDuration(summary.durationMs)}`;
          if (tty) {
            erase();
            stream.write(`${colors.bold(ended)}\n`);
          } else stream.write(`${ended}\n`);
          closed = true;
          break;
        }
      }
    },
    close() {
      stopTimer();
      closed = true;
    },
  };
}
