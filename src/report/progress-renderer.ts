import picocolors from "picocolors";
import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import type { ResearchEvent } from "../spec/events.js";
import type { RunResult, TrialRecord } from "../spec/records.js";
import { formatFinalEvaluation } from "./evaluation-text.js";
import { decimalsFor, formatDelta, formatDuration, formatMetric, truncate } from "./format-values.js";
import {
  bestText,
  draw,
  erase,
  metricNameOf,
  type ProgressScreen,
  print,
  screenWidth,
  startTimer,
  stopTimer,
} from "./progress-screen.js";
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

type EventOf<T extends ResearchEvent["type"]> = Extract<ResearchEvent, { type: T }>;

/** The colour of a finished trial's line: blue for the baseline, green for a keep, dim for a discard, red else. */
function colorLine(screen: ProgressScreen, record: TrialRecord, line: string): string {
  const { colors } = screen;
  if (record.kind === "baseline" && record.status === "keep") return colors.blue(line);
  if (record.status === "keep") return colors.green(line);
  if (record.status === "discard") return colors.dim(line);
  return colors.red(line);
}

/** The research's first line, with its warnings under it. */
function onResearchStart(screen: ProgressScreen, event: EventOf<"research-start">): void {
  screen.tag = event.tag;
  const resumed = event.resumed > 0 ? `, resuming after ${event.resumed} trials` : "";
  print(screen, `research ${event.tag} on ${event.branch} in ${event.directory}${resumed}`);
  for (const warning of event.warnings ?? []) print(screen, screen.colors.yellow(`warning: ${warning}`));
}

/** A new trial joins the live block, and the block starts refreshing. */
function onTrialStart(screen: ProgressScreen, event: EventOf<"trial-start">): void {
  screen.currents.set(event.trial, {
    trial: event.trial,
    slot: event.slot,
    kind: event.kind,
    startedAt: screen.now(),
    runStartedAt: undefined,
    description: event.repair === undefined ? undefined : `repair of trial ${event.repair.trial.id}`,
    run: undefined,
    lastMetricLine: undefined,
  });
  draw(screen);
  startTimer(screen);
}

/** The trial's line now says what the proposal changes, or that it failed. */
function onProposalEnd(screen: ProgressScreen, event: EventOf<"proposal-end">): void {
  const current = screen.currents.get(event.trial);
  if (current === undefined) return;
  if (event.proposal.type === "edit") current.description = truncate(event.proposal.description, 72);
  else if (event.proposal.type === "failed") current.description = `proposal failed: ${event.proposal.error}`;
  draw(screen);
}

/** The trial's time bar restarts for its run. */
function onRunStart(screen: ProgressScreen, event: EventOf<"run-start">): void {
  const current = screen.currents.get(event.trial);
  if (current === undefined) return;
  current.slot = event.slot ?? current.slot;
  current.runStartedAt = screen.now();
  current.run =
    event.of > 1 || event.role !== "candidate"
      ? `running ${event.role} ${event.sample}/${event.of}`
      : "running";
  draw(screen);
}

/** A line of the run's log that looks like a metric becomes the trial's latest metric line. */
function onRunLine(screen: ProgressScreen, event: EventOf<"run-line">): void {
  const current = screen.currents.get(event.trial);
  if (current === undefined || !metricLine.test(event.line)) return;
  // The run's own colours and carriage returns would break the redraw.
  current.lastMetricLine = event.line
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/[\x00-\x1f\x7f]+/g, " ")
    .trim();
  draw(screen);
}

/** Counts the finished trial, prints its permanent line (and a crash's log tail), and drops it from the block. */
function onTrialEnd(screen: ProgressScreen, event: EventOf<"trial-end">): void {
  const { record } = event;
  const { counts, colors } = screen;
  screen.metric ??= record.metric === null ? undefined : metricNameOf(record);
  if (record.kind === "baseline") screen.baseline = record;
  else if (record.status === "keep") counts.keep += 1;
  else if (record.status === "discard") counts.discard += 1;
  else if (record.status === "crash" || record.status === "timeout") counts.crash += 1;
  else if (isFailedProposal(record)) counts.failed += 1;
  else counts.other += 1;
  const line = formatTrialLine(record, screen.best, screen.metric);
  screen.best = event.best ?? screen.best;
  screen.currents.delete(record.id);
  if (screen.currents.size === 0) stopTimer(screen);
  print(screen, colorLine(screen, record, line));
  const run = screen.lastRuns.get(record.id);
  screen.lastRuns.delete(record.id);
  if ((record.status === "crash" || record.status === "timeout") && run !== undefined) {
    for (const tailLine of formatLogTail(run, screenWidth(screen))) print(screen, colors.dim(tailLine));
  }
}

/** The closing summary line, in place of the live block; nothing is drawn after it. */
function onResearchEnd(screen: ProgressScreen, event: EventOf<"research-end">): void {
  stopTimer(screen);
  screen.currents.clear();
  const { summary } = event;
  const { metric } = screen;
  screen.best = summary.best ?? screen.best;
  const data = buildReportData(summary.records, {
    ...(metric === undefined ? {} : { metric }),
    ...(summary.direction === undefined ? {} : { direction: summary.direction }),
  });
  const session = summary.trials === data.trials ? "" : ` (${summary.trials} in this session)`;
  const noise = noiseVerdict(summary.baseline, summary.best, summary.direction ?? data.direction);
  const ended = `research ${summary.tag || screen.tag} ended (${summary.stopReason}): ${describeTrials(data)}${session}; ${bestText(screen)}, ${formatDuration(summary.durationMs)}${noise?.withinNoise ? `; ${noiseText(noise)}` : ""}`;
  if (screen.tty) {
    erase(screen);
    screen.stream.write(`${screen.colors.bold(ended)}\n`);
  } else screen.stream.write(`${ended}\n`);
  screen.closed = true;
}

/** Updates the screen for one event of `streamResearch`. */
function handleEvent(screen: ProgressScreen, event: ResearchEvent): void {
  switch (event.type) {
    case "research-start":
      onResearchStart(screen, event);
      break;
    case "trial-start":
      onTrialStart(screen, event);
      break;
    case "proposal-end":
      onProposalEnd(screen, event);
      break;
    case "run-start":
      onRunStart(screen, event);
      break;
    case "run-line":
      onRunLine(screen, event);
      break;
    case "run-end":
      // The last run of each trial: a crash shows its log.
      screen.lastRuns.set(event.trial, event.result);
      break;
    case "trial-end":
      onTrialEnd(screen, event);
      break;
    case "final-evaluation-start":
      print(
        screen,
        `sealed test: measuring the best (#${event.best}) and the baseline (#${event.baseline})…`,
      );
      break;
    case "final-evaluation-end":
      print(screen, screen.colors.bold(formatFinalEvaluation(event.finalEvaluation)));
      break;
    case "research-end":
      onResearchEnd(screen, event);
      break;
  }
}

/** The screen's starting state from the parsed options. */
function openScreen(parsed: z.output<typeof progressRendererOptionsSchema>): ProgressScreen {
  const { stream } = parsed;
  const tty = parsed.isTTY ?? (stream as { isTTY?: boolean }).isTTY === true;
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== "";
  return {
    stream,
    tty,
    now: parsed.now ?? Date.now,
    colors: picocolors.createColors(tty && (parsed.color ?? !noColor)),
    refreshMs: parsed.refreshMs ?? 1000,
    timeoutMs: parsed.timeoutMs,
    columns: parsed.columns,
    tag: "",
    metric: undefined,
    best: undefined,
    baseline: undefined,
    currents: new Map(),
    counts: { keep: 0, discard: 0, crash: 0, failed: 0, other: 0 },
    lastRuns: new Map(),
    drawn: 0,
    timer: undefined,
    closed: false,
  };
}

/**
 * Live progress of a research in a terminal. With a TTY it redraws a small block in place (current trial, a
 * time bar against the timeout, the latest metric line of its log, the best so far, counts) and prints one
 * permanent line per finished trial above it; without one it prints plain lines only, no escape codes.
 */
export function createProgressRenderer(options: ProgressRendererOptions): ProgressRenderer {
  const screen = openScreen(parseOptions(progressRendererOptionsSchema, options));
  return {
    handle(event) {
      if (screen.closed) return;
      handleEvent(screen, event);
    },
    close() {
      stopTimer(screen);
      screen.closed = true;
    },
  };
}
