import type picocolors from "picocolors";
import type { RunResult, TrialKind, TrialRecord } from "../spec/records.js";
import { formatDuration, formatMetric, formatPercent } from "./format-values.js";
import { inferMetricName } from "./report-data.js";

/** A trial under way, as the live block shows it. */
export interface CurrentTrial {
  trial: number;
  slot: number | undefined;
  kind: TrialKind;
  startedAt: number;
  runStartedAt: number | undefined;
  description: string | undefined;
  run: string | undefined;
  lastMetricLine: string | undefined;
}

/** What the progress renderer writes to and what it has seen of the research so far. */
export interface ProgressScreen {
  readonly stream: NodeJS.WritableStream;
  readonly tty: boolean;
  readonly now: () => number;
  readonly colors: ReturnType<typeof picocolors.createColors>;
  readonly refreshMs: number;
  readonly timeoutMs: number | undefined;
  readonly columns: number | undefined;
  tag: string;
  metric: string | undefined;
  best: TrialRecord | undefined;
  baseline: TrialRecord | undefined;
  // Trials under way, by number: one at a time, or one per slot when the research runs several.
  readonly currents: Map<number, CurrentTrial>;
  readonly counts: { keep: number; discard: number; crash: number; failed: number; other: number };
  readonly lastRuns: Map<number, RunResult>;
  drawn: number;
  timer: ReturnType<typeof setInterval> | undefined;
  closed: boolean;
}

/** The metric's name as the record's measurement calls it, else `metric`. */
export function metricNameOf(record: TrialRecord): string {
  return inferMetricName([record]) ?? "metric";
}

/** The usable width of a line, re-read each time since a terminal can be resized. */
export function screenWidth(screen: ProgressScreen): number {
  return Math.max(40, (screen.columns ?? (screen.stream as { columns?: number }).columns ?? 100) - 1);
}

/** The line cut to the screen's width, with an ellipsis where it was cut. */
function clip(screen: ProgressScreen, line: string): string {
  const limit = screenWidth(screen);
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}

/** A time bar of the elapsed time against the limit, yellow then red as it nears the end. */
function bar(screen: ProgressScreen, elapsed: number, limit: number): string {
  const { colors } = screen;
  const size = 24;
  const fraction = Math.min(1, elapsed / limit);
  const filled = Math.round(fraction * size);
  const paint = fraction >= 0.9 ? colors.red : fraction >= 0.7 ? colors.yellow : colors.green;
  return `${paint("█".repeat(filled))}${colors.dim("░".repeat(size - filled))}`;
}

/** The best trial so far and how far it is from the baseline. */
export function bestText(screen: ProgressScreen): string {
  const { best, baseline } = screen;
  if (best === undefined || best.metric === null) return "best -";
  const name = screen.metric ?? metricNameOf(best);
  let text = `best ${name} ${formatMetric(best.metric)} (trial ${best.id})`;
  if (baseline?.metric !== null && baseline?.metric !== undefined && best.id !== baseline.id) {
    text += ` ${formatPercent((best.metric - baseline.metric) / Math.abs(baseline.metric))} vs baseline`;
  }
  return text;
}

/** How long the trial has been in its current phase (proposing, then its run), and the phase's name. */
function phaseOf(screen: ProgressScreen, current: CurrentTrial): { elapsed: number; phase: string } {
  return {
    elapsed: screen.now() - (current.runStartedAt ?? current.startedAt),
    phase: current.run ?? "proposing",
  };
}

/** Three lines for the one trial under way: what it tries, its time bar, the latest metric line of its log. */
function single(screen: ProgressScreen, current: CurrentTrial): string[] {
  const { colors, timeoutMs } = screen;
  const head = `trial ${current.trial}  ${current.kind}${current.description === undefined ? "  proposing…" : `  ${current.description}`}`;
  const { elapsed, phase } = phaseOf(screen, current);
  return [
    colors.bold(clip(screen, head)),
    timeoutMs === undefined
      ? `${formatDuration(elapsed)}  ${phase}`
      : `${bar(screen, elapsed, timeoutMs)} ${formatDuration(elapsed)} / ${formatDuration(timeoutMs)}  ${phase}`,
    colors.dim(clip(screen, current.lastMetricLine ?? "")),
  ];
}

/** One line per trial under way when several run at once, ordered by slot. */
function slotted(screen: ProgressScreen): string[] {
  const { colors, timeoutMs } = screen;
  const ordered = [...screen.currents.values()].sort(
    (a, b) => (a.slot ?? Number.MAX_SAFE_INTEGER) - (b.slot ?? Number.MAX_SAFE_INTEGER) || a.trial - b.trial,
  );
  return ordered.map((current) => {
    const { elapsed, phase } = phaseOf(screen, current);
    const where = current.slot === undefined ? "ahead " : `slot ${current.slot}`;
    const time =
      timeoutMs === undefined || current.runStartedAt === undefined
        ? formatDuration(elapsed)
        : `${bar(screen, elapsed, timeoutMs)} ${formatDuration(elapsed)}`;
    const metricText = current.lastMetricLine === undefined ? "" : `  ${colors.dim(current.lastMetricLine)}`;
    return clip(
      screen,
      `${where}  trial ${current.trial}  ${time}  ${phase}  ${current.description ?? "proposing…"}${metricText}`,
    );
  });
}

/** The whole live block: the trials under way, then the best so far and the counts. */
function block(screen: ProgressScreen): string[] {
  const { currents, counts } = screen;
  const lines: string[] =
    currents.size === 1 ? single(screen, [...currents.values()][0] as CurrentTrial) : slotted(screen);
  const tally = `kept ${counts.keep}  discarded ${counts.discard}  crashed ${counts.crash}${counts.failed > 0 ? `  failed ${counts.failed}` : ""}${counts.other > 0 ? `  other ${counts.other}` : ""}`;
  lines.push(clip(screen, `${bestText(screen)}  ·  ${tally}`));
  return lines;
}

/** Removes the live block from the terminal, leaving the cursor where it started. */
export function erase(screen: ProgressScreen): void {
  if (screen.drawn > 0) screen.stream.write(`\x1b[${screen.drawn}F\x1b[0J`);
  screen.drawn = 0;
}

/** Redraws the live block in place; nothing without a TTY or once closed. */
export function draw(screen: ProgressScreen): void {
  if (!screen.tty || screen.closed) return;
  erase(screen);
  const lines = block(screen);
  screen.stream.write(`${lines.join("\n")}\n`);
  screen.drawn = lines.length;
}

/** A permanent line: above the block in a TTY, a plain line otherwise. */
export function print(screen: ProgressScreen, line: string): void {
  if (screen.tty) {
    erase(screen);
    screen.stream.write(`${line}\n`);
    draw(screen);
  } else screen.stream.write(`${line}\n`);
}

/** Starts redrawing the block every `refreshMs`, so the time bars move between events. */
export function startTimer(screen: ProgressScreen): void {
  if (!screen.tty || screen.refreshMs === 0 || screen.timer !== undefined || screen.closed) return;
  screen.timer = setInterval(() => draw(screen), screen.refreshMs);
  screen.timer.unref?.();
}

/** Stops the periodic redraw. */
export function stopTimer(screen: ProgressScreen): void {
  if (screen.timer !== undefined) clearInterval(screen.timer);
  screen.timer = undefined;
}
