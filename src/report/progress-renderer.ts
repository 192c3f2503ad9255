import picocolors from "picocolors";
import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import type { ResearchEvent } from "../spec/events.js";
import type { RunResult, TrialKind, TrialRecord } from "../spec/records.js";
import { formatFinalEvaluation } from "./evaluation-text.js";
import {
  decimalsFor,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  truncate,
} from "./format-values.js";
import { noiseText } from "./read-status.js";
import {
  buildReportData,
  describeTrials,
  inferMetricName,
  isFailedProposal,
  noiseVerdict,
  reasonOf,
  trialLabel,
} from "./report-data.js";

const progressRendererOptionsSchema = z.strictObject({
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

/** What the run came to: the metric, or how it failed; `undefined` when nothing ran (a failed proposal). */
function outcome(record: TrialRecord, metric: string): string | undefined {
  if (record.metric !== null) return `${metric} ${formatMetric(record.metric)}`;
  if (record.status === "timeout" || record.run?.timedOut) return "timed out";
  if (record.run?.signal) return `killed by ${record.run.signal}`;
  if (record.run !== null && record.run.exitCode !== null && record.run.exitCode !== 0) {
    return `exit ${record.run.exitCode}`;
  }
  return record.run === null ? undefined : "no metric";
}

// Descriptions the loop writes when there is nothing to describe; the reason says more.
const placeholders = new Set(["baseline", "(failed proposal)", "(proposing)"]);

/**
 * The one line printed for a finished trial:
 * `trial 3  keep     val_bpb 0.9712  (-0.0079)  LEARNING_RATE 0.04 -> 0.06  12.3s`.
 * The delta is against `previousBest` (the incumbent the trial had to beat), else the record's own comparison.
 * Every trial that was not kept ends with its reason: `… 3.1s — no \`accuracy:\` line, found pass_rate`.
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
  const parts: string[] = [];
  const result = outcome(record, name);
  if (result !== undefined) parts.push(result);
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
  if (!placeholders.has(record.description)) parts.push(truncate(record.description, 72));
  parts.push(formatDuration(record.durations.totalMs));
  const kept = record.status === "keep";
  const reason = kept || record.reason === "" ? "" : ` — ${truncate(reasonOf(record), 200)}`;
  return `trial ${record.id}  ${trialLabel(record).padEnd(8)} ${parts.join("  ")}${reason}`;
}

/** The log of a crashed or timed-out run: where it is and its last lines, indented under the trial's line. */
function formatLogTail(run: RunResult, width: number): string[] {
  const tail = run.outputTail
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .split(/\r?\n|\r/)
    .map((line) => line.replace(/[\x00-\x1f\x7f]+/g, " ").trimEnd())
    .filter((line) => line.trim() !== "")
    .slice(-logTailLines);
  const clip = (line: string) => (line.length <= width ? line : `${line.slice(0, width - 1)}…`);
  return [`    log: ${run.logFile}`, ...tail.map((line) => clip(`    │ ${line}`))];
}

const logTailLines = 6;

interface CurrentTrial {
  trial: number;
  slot: number | undefined;
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
  const parsed = parseOptions(progressRendererOptionsSchema, options);
  const { stream } = parsed;
  const tty = parsed.isTTY ?? (stream as { isTTY?: boolean }).isTTY === true;
  const now = parsed.now ?? Date.now;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  const colors = picocolors.createColors(tty && (parsed.color ?? !noColor));
  const refreshMs = parsed.refreshMs ?? 1000;
  const timeoutMs = parsed.timeoutMs;

  let tag = "";
  let metric: string | undefined;
  let best: TrialRecord | undefined;
  let baseline: TrialRecord | undefined;
  // Trials under way, by number: one at a time, or one per slot when the research runs several.
  const currents = new Map<number, CurrentTrial>();
  const counts = { keep: 0, discard: 0, crash: 0, failed: 0, other: 0 };
  const lastRuns = new Map<number, RunResult>();
  let drawn = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;

  const width = () => Math.max(40, (parsed.columns ?? (stream as { columns?: number }).columns ?? 100) - 1);
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

  function phaseOf(current: CurrentTrial): { elapsed: number; phase: string } {
    return {
      elapsed: now() - (current.runStartedAt ?? current.startedAt),
      phase: current.run ?? "proposing",
    };
  }

  function single(current: CurrentTrial): string[] {
    const head = `trial ${current.trial}  ${current.kind}${current.description === undefined ? "  proposing…" : `  ${current.description}`}`;
    const { elapsed, phase } = phaseOf(current);
    return [
      colors.bold(clip(head)),
      timeoutMs === undefined
        ? `${formatDuration(elapsed)}  ${phase}`
        : `${bar(elapsed, timeoutMs)} ${formatDuration(elapsed)} / ${formatDuration(timeoutMs)}  ${phase}`,
      colors.dim(clip(current.lastMetricLine ?? "")),
    ];
  }

  /** One line per trial under way when several run at once, ordered by slot. */
  function slotted(): string[] {
    const ordered = [...currents.values()].sort(
      (a, b) =>
        (a.slot ?? Number.MAX_SAFE_INTEGER) - (b.slot ?? Number.MAX_SAFE_INTEGER) || a.trial - b.trial,
    );
    return ordered.map((current) => {
      const { elapsed, phase } = phaseOf(current);
      const where = current.slot === undefined ? "ahead " : `slot ${current.slot}`;
      const time =
        timeoutMs === undefined || current.runStartedAt === undefined
          ? formatDuration(elapsed)
          : `${bar(elapsed, timeoutMs)} ${formatDuration(elapsed)}`;
      const metricText =
        current.lastMetricLine === undefined ? "" : `  ${colors.dim(current.lastMetricLine)}`;
      return clip(
        `${where}  trial ${current.trial}  ${time}  ${phase}  ${current.description ?? "proposing…"}${metricText}`,
      );
    });
  }

  function block(): string[] {
    const lines: string[] =
      currents.size === 1 ? single([...currents.values()][0] as CurrentTrial) : slotted();
    const tally = `kept ${counts.keep}  discarded ${counts.discard}  crashed ${counts.crash}${counts.failed > 0 ? `  failed ${counts.failed}` : ""}${counts.other > 0 ? `  other ${counts.other}` : ""}`;
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
    if (record.kind === "baseline" && record.status === "keep") return colors.blue(line);
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
          currents.set(event.trial, {
            trial: event.trial,
            slot: event.slot,
            kind: event.kind,
            startedAt: now(),
            runStartedAt: undefined,
            description: event.repair === undefined ? undefined : `repair of trial ${event.repair.trial.id}`,
            run: undefined,
            lastMetricLine: undefined,
          });
          draw();
          startTimer();
          break;
        case "proposal-end": {
          const current = currents.get(event.trial);
          if (current !== undefined) {
            if (event.proposal.type === "edit")
              current.description = truncate(event.proposal.description, 72);
            else if (event.proposal.type === "failed")
              current.description = `proposal failed: ${event.proposal.error}`;
            draw();
          }
          break;
        }
        case "run-start": {
          const current = currents.get(event.trial);
          if (current !== undefined) {
            current.slot = event.slot ?? current.slot;
            current.runStartedAt = now();
            current.run =
              event.of > 1 || event.role !== "candidate"
                ? `running ${event.role} ${event.sample}/${event.of}`
                : "running";
            draw();
          }
          break;
        }
        case "run-line": {
          const current = currents.get(event.trial);
          if (current !== undefined && metricLine.test(event.line)) {
            // The run's own colours and carriage returns would break the redraw.
            current.lastMetricLine = event.line
              .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
              .replace(/[\x00-\x1f\x7f]+/g, " ")
              .trim();
            draw();
          }
          break;
        }
        case "run-end":
          // The last run of each trial: a crash shows its log.
          lastRuns.set(event.trial, event.result);
          break;
        case "trial-end": {
          const { record } = event;
          metric ??= record.metric === null ? undefined : metricNameOf(record);
          if (record.kind === "baseline") baseline = record;
          else if (record.status === "keep") counts.keep += 1;
          else if (record.status === "discard") counts.discard += 1;
          else if (record.status === "crash" || record.status === "timeout") counts.crash += 1;
          else if (isFailedProposal(record)) counts.failed += 1;
          else counts.other += 1;
          const line = formatTrialLine(record, best, metric);
          best = event.best ?? best;
          currents.delete(record.id);
          if (currents.size === 0) stopTimer();
          print(colorLine(record, line));
          const run = lastRuns.get(record.id);
          lastRuns.delete(record.id);
          if ((record.status === "crash" || record.status === "timeout") && run !== undefined) {
            for (const tailLine of formatLogTail(run, width())) print(colors.dim(tailLine));
          }
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
          currents.clear();
          const { summary } = event;
          best = summary.best ?? best;
          const data = buildReportData(summary.records, {
            ...(metric === undefined ? {} : { metric }),
            ...(summary.direction === undefined ? {} : { direction: summary.direction }),
          });
          const session = summary.trials === data.trials ? "" : ` (${summary.trials} in this session)`;
          const noise = noiseVerdict(summary.baseline, summary.best, summary.direction ?? data.direction);
          const ended = `research ${summary.tag || tag} ended (${summary.stopReason}): ${describeTrials(data)}${session}; ${bestText()}, ${formatDuration(summary.durationMs)}${noise?.withinNoise ? `; ${noiseText(noise)}` : ""}`;
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
