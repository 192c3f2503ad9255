import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { ProposeOptions } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import {
  buildProposalPrompt,
  type PromptLimits,
  type ProposalPrompt,
  type TrialDiff,
} from "./prompt-builder.js";

/** Options' shape of the instructions: a file such as `program.md` (relative to the researched directory) or the text. */
export const instructionsSchema = z.union([
  z.string().min(1),
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ text: z.string().min(1) }),
]);

const positiveInteger = z.number().int().positive();
const count = z.number().int().nonnegative();

/** Options' shape of the bounds on the prompt's parts, in characters (see `PromptLimits`). */
export const promptLimitsSchema = z.strictObject({
  instructionsChars: positiveInteger.optional(),
  bestTrials: count.optional(),
  recentTrials: count.optional(),
  olderHistoryChars: count.optional(),
  diffChars: positiveInteger.optional(),
  diffsTotalChars: count.optional(),
  logTailChars: positiveInteger.optional(),
});

/** The user's instructions: a file (`program.md`, read relative to the researched directory) or the text itself. */
export type Instructions = z.infer<typeof instructionsSchema>;

const instructionFile = /\.(md|markdown|txt|rst)$/i;

/**
 * Reads the instructions. A one-line string ending in `.md`, `.txt`, … is a file path; so is any one-line string
 * naming an existing file. Relative paths are tried in each directory in turn (the trial worktree first, since it
 * holds the incumbent's version, then the user's checkout for an untracked `program.md`).
 */
export async function readInstructions(
  instructions: Instructions,
  directories: readonly string[],
): Promise<string> {
  if (typeof instructions === "object" && "text" in instructions) return instructions.text;
  const path = typeof instructions === "object" ? instructions.file : instructions;
  const explicit = typeof instructions === "object" || instructionFile.test(path.trim());
  if (typeof instructions === "string" && (/\n/.test(path) || path.trim() === "")) return instructions;
  const candidates = isAbsolute(path)
    ? [path]
    : directories.map((directory) => resolve(directory, path.trim()));
  for (const candidate of candidates) {
    try {
      return await readFile(candidate, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "EISDIR" && code !== "ENOTDIR") throw error;
    }
  }
  if (!explicit) return path;
  throw new ConfigurationError({
    field: "instructions",
    message: `Invalid \`instructions\`: expected a readable file, got \`${path}\` (looked in ${candidates.join(", ")})`,
  });
}

async function safeDiff(options: ProposeOptions, trial: TrialRecord): Promise<string | undefined> {
  try {
    const diff = await options.readDiff(trial);
    return diff.trim() === "" ? undefined : diff;
  } catch {
    // A diff is context, not a requirement: a trial whose commit cannot be read is shown without one.
    return undefined;
  }
}

export interface ProposalPromptOptions {
  propose: ProposeOptions;
  instructions: string;
  finish: "tool" | "description-line";
  /** How many kept trials' diffs to show (most recent first). */
  keptDiffs?: number;
  limits?: z.output<typeof promptLimitsSchema>;
}

/** Gathers what `buildProposalPrompt` needs from the loop's propose options (reading diffs) and builds the prompt. */
export async function prepareProposalPrompt(options: ProposalPromptOptions): Promise<ProposalPrompt> {
  const { propose } = options;
  const keptCount = options.keptDiffs ?? 3;
  const kept = propose.history
    .filter((record) => record.status === "keep" && record.kind !== "baseline" && record.commit !== null)
    .slice(-keptCount)
    .reverse();
  const keptDiffs: TrialDiff[] = [];
  for (const trial of kept) {
    const diff = await safeDiff(propose, trial);
    if (diff !== undefined) keptDiffs.push({ trial, diff });
  }
  let repair: { trial: TrialRecord; logTail: string; attempt: number; diff?: string } | undefined;
  if (propose.repair) {
    const diff = await safeDiff(propose, propose.repair.trial);
    repair = { ...propose.repair, ...(diff === undefined ? {} : { diff }) };
  }
  return buildProposalPrompt({
    instructions: options.instructions,
    scope: propose.scope,
    objective: propose.objective,
    trial: propose.trial,
    history: propose.history,
    incumbent: propose.incumbent,
    keptDiffs,
    ...(repair ? { repair } : {}),
    ...(propose.running === undefined ? {} : { running: propose.running }),
    finish: options.finish,
    ...(options.limits ? { limits: definedLimits(options.limits) } : {}),
  });
}

function definedLimits(limits: z.output<typeof promptLimitsSchema>): Partial<PromptLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined));
}
