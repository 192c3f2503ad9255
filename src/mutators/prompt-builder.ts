import type { RunningTrial, Scope } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";

/** Bounds that keep the prompt's size fixed however long the research runs. All sizes are in characters. */
export interface PromptLimits {
  /** The user's instructions beyond this are cut, with a note. */
  instructionsChars: number;
  /** Kept trials listed best first. */
  bestTrials: number;
  /** Most recent trials listed in full. */
  recentTrials: number;
  /** Room for one-line descriptions of the older trials; the rest are only counted. */
  olderHistoryChars: number;
  /** Each diff is cut to this size. */
  diffChars: number;
  /** All diffs together. */
  diffsTotalChars: number;
  /** The tail of a crash log. */
  logTailChars: number;
}

export const defaultPromptLimits: Readonly<PromptLimits> = {
  instructionsChars: 20_000,
  bestTrials: 5,
  recentTrials: 15,
  olderHistoryChars: 6_000,
  diffChars: 4_000,
  diffsTotalChars: 12_000,
  logTailChars: 6_000,
};

/** A kept trial's diff, shown so the model builds on what worked. */
export interface TrialDiff {
  trial: TrialRecord;
  diff: string;
}

export interface ProposalPromptInput {
  /** The user's instructions (the contents of `program.md`, or a string). */
  instructions: string;
  scope: Scope;
  objective: { metric: string; direction: "minimize" | "maximize" };
  /** The number the trial will get. */
  trial: number;
  history: readonly TrialRecord[];
  incumbent: TrialRecord | undefined;
  /** Diffs of kept trials, most recent first; bounded here. */
  keptDiffs?: readonly TrialDiff[];
  /** A crashed trial to repair instead of trying a new idea. */
  repair?: { trial: TrialRecord; logTail: string; attempt: number; diff?: string };
  /** Trials proposed or running in parallel right now, without a result yet: ideas not to propose again. */
  running?: readonly RunningTrial[];
  /**
   * How the proposer ends: `tool` when it calls a `finish` tool (the LLM proposer), `description-line` when it
   * prints `DESCRIPTION:` and `RATIONALE:` lines (coding-agent CLIs).
   */
  finish: "tool" | "description-line";
  limits?: Partial<PromptLimits>;
}

export interface ProposalPrompt {
  /** The standing rules: the role, the scope, how to finish. */
  system: string;
  /** This trial's context: instructions, metrics, history, diffs, and the task. */
  prompt: string;
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

function formatDelta(record: TrialRecord): string {
  const delta = record.comparison?.delta;
  if (delta === undefined || !Number.isFinite(delta)) return "";
  return ` (${delta >= 0 ? "+" : ""}${formatNumber(delta)})`;
}

function formatTrial(record: TrialRecord, descriptionChars: number): string {
  const kind = record.kind === "repair" ? ` repair of #${record.repairOf ?? "?"}` : "";
  const description = oneLine(record.description || "(no description)", descriptionChars);
  return `#${record.id} ${record.status}${kind} ${formatNumber(record.metric)}${formatDelta(record)} — ${description}`;
}

function cutHead(text: string, max: number, what: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[… ${what} cut: ${text.length - max} more characters]`;
}

function cutTail(text: string, max: number): string {
  if (text.length <= max) return text;
  return `[… ${text.length - max} earlier characters cut]\n${text.slice(text.length - max)}`;
}

function fence(text: string): string {
  // A fence longer than any backtick run inside, so hostile or odd content cannot close it early.
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const marks = "`".repeat(longest + 1);
  return `${marks}\n${text}\n${marks}`;
}

function historySection(input: ProposalPromptInput, limits: PromptLimits): string {
  const { history, objective } = input;
  const trials = history.filter((record) => record.kind !== "baseline");
  if (trials.length === 0) return "No trials yet: this is the first idea after the baseline.";
  const sign = objective.direction === "minimize" ? 1 : -1;
  const lines: string[] = [];

  const kept = trials
    .filter((record) => record.status === "keep" && record.metric !== null)
    .sort((a, b) => sign * ((a.metric ?? 0) - (b.metric ?? 0)))
    .slice(0, limits.bestTrials);
  if (kept.length > 0) {
    lines.push("Best kept trials, best first:");
    for (const record of kept) lines.push(`- ${formatTrial(record, 200)}`);
    lines.push("");
  }

  const recent = trials.slice(-limits.recentTrials).reverse();
  lines.push(`Most recent trials, newest first (${recent.length} of ${trials.length}):`);
  for (const record of recent) lines.push(`- ${formatTrial(record, 200)}`);

  const older = trials.slice(0, Math.max(0, trials.length - limits.recentTrials)).reverse();
  if (older.length > 0) {
    const counts = new Map<string, number>();
    for (const record of older) counts.set(record.status, (counts.get(record.status) ?? 0) + 1);
    const tally = [...counts].map(([status, count]) => `${count} ${status}`).join(", ");
    lines.push("", `Older trials (${older.length}: ${tally}), newest first, one line each:`);
    let used = 0;
    let shown = 0;
    for (const record of older) {
      const line = `- #${record.id} ${record.status} ${formatNumber(record.metric)} — ${oneLine(record.description, 80)}`;
      if (used + line.length + 1 > limits.olderHistoryChars) break;
      lines.push(line);
      used += line.length + 1;
      shown += 1;
    }
    if (shown < older.length) {
      lines.push(
        `- … ${older.length - shown} older trials not listed (ids #${older.at(-1)?.id}–#${older[shown]?.id}).`,
      );
    }
  }
  return lines.join("\n");
}

function diffsSection(diffs: readonly TrialDiff[], limits: PromptLimits): string | undefined {
  if (diffs.length === 0) return undefined;
  const parts: string[] = [];
  let total = 0;
  for (const { trial, diff } of diffs) {
    const body = cutHead(diff.trim(), limits.diffChars, "diff");
    const part = `Trial #${trial.id} (${oneLine(trial.description, 120)}):\n${fence(body)}`;
    if (total + part.length > limits.diffsTotalChars) break;
    parts.push(part);
    total += part.length;
  }
  return parts.length === 0 ? undefined : parts.join("\n\n");
}

/**
 * Builds what the proposer is told: the standing rules (role, scope, how to finish) and this trial's context
 * (instructions, baseline and best metrics, the trial history with older trials summarized, diffs of kept
 * trials, or the crash to repair). A pure function: its size is bounded by `limits` whatever the history holds.
 */
export function buildProposalPrompt(input: ProposalPromptInput): ProposalPrompt {
  const limits: PromptLimits = { ...defaultPromptLimits, ...input.limits };
  const { scope, objective } = input;
  const better = objective.direction === "minimize" ? "lower is better" : "higher is better";
  const baseline = input.history.find((record) => record.kind === "baseline");

  const finishRule =
    input.finish === "tool"
      ? "When your change is complete, call the `finish` tool once with a one-line description of what you tried and a short rationale. Calling it ends your turn."
      : "Edit the files directly. Do not commit, do not run git commands that change the repository, and do not run the experiment. When done, end your reply with a line `DESCRIPTION: <one line saying what you tried>` followed by a line `RATIONALE: <one or two sentences>`.";

  const system = [
    "You are a research engineer improving a codebase against one metric. Each turn you propose ONE focused change; a harness then runs the experiment, reads the metric itself and keeps the change only if it improves.",
    "",
    `Metric: \`${objective.metric}\` (${better}).`,
    `Files you may edit (globs, relative to the project root): ${scope.editable.map((glob) => `\`${glob}\``).join(", ") || "(none)"}.`,
    `Protected files you must not change: ${scope.protected.map((glob) => `\`${glob}\``).join(", ") || "(none)"}.`,
    "",
    "Rules:",
    "- Make one change that tests one idea, small enough that its effect can be attributed to it.",
    "- Do not repeat an idea already tried (see the history, which lists every trial); build on kept ones, and learn from discarded and crashed ones.",
    "- Never edit protected files or files outside the editable scope, and never try to influence how the metric is measured.",
    `- ${finishRule}`,
  ].join("\n");

  const sections: string[] = [];
  sections.push(
    `# Instructions\n\n${cutHead(input.instructions.trim(), limits.instructionsChars, "instructions")}`,
  );

  const incumbent = input.incumbent;
  const status = [
    `Baseline ${objective.metric}: ${formatNumber(baseline?.metric)}${baseline ? ` (trial #${baseline.id})` : ""}.`,
    `Current best ${objective.metric}: ${formatNumber(incumbent?.metric)}${incumbent ? ` (trial #${incumbent.id}: ${oneLine(incumbent.description, 160)})` : ""}.`,
    `This will be trial #${input.trial}.`,
  ];
  sections.push(`# Where things stand\n\n${status.join("\n")}`);
  sections.push(`# History\n\n${historySection(input, limits)}`);
  const running = input.running ?? [];
  if (running.length > 0) {
    const lines = running.map(
      (trial) =>
        `- #${trial.id}: ${oneLine(trial.description, 200)}${trial.changedFiles.length > 0 ? ` (${trial.changedFiles.slice(0, 5).join(", ")})` : ""}`,
    );
    sections.push(
      `# Running now, results not in yet\n\nThese ideas are being measured in parallel right now. Do not propose them again; propose something different.\n\n${lines.join("\n")}`,
    );
  }

  const diffs = diffsSection(input.keptDiffs ?? [], limits);
  if (diffs) sections.push(`# Changes that were kept, most recent first\n\n${diffs}`);

  if (input.repair) {
    const { trial, logTail, attempt, diff } = input.repair;
    const lines = [
      `Trial #${trial.id} (${oneLine(trial.description, 200)}) ended with status \`${trial.status}\`. This is repair attempt ${attempt}.`,
      "The files in front of you hold that trial's code. Find the cause of the failure from the log below and fix it so the idea can be measured; keep the idea itself unless it cannot work. Describe the fix in the description.",
    ];
    if (diff)
      lines.push("", "The change that failed:", fence(cutHead(diff.trim(), limits.diffChars, "diff")));
    lines.push("", "The end of its log:", fence(cutTail(logTail.trimEnd(), limits.logTailChars)));
    sections.push(`# Repair the failed trial\n\n${lines.join("\n")}`);
  } else {
    sections.push(
      "# Your task\n\nPropose and make the next change: one new idea that is not in the history and is likely to improve the metric. Look at the code before you edit it.",
    );
  }

  return { system, prompt: sections.join("\n\n") };
}
