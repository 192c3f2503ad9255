import { appendFile, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FinalEvaluation } from "../spec/records.js";

/** Where a research's sealed-test results are kept: beside its ledger, one JSON line per final evaluation. */
export function finalEvaluationFile(stateDirectory: string): string {
  return join(stateDirectory, "final-evaluation.jsonl");
}

/** Appends one final evaluation. */
export async function appendFinalEvaluation(
  stateDirectory: string,
  evaluation: FinalEvaluation,
): Promise<void> {
  await appendFile(finalEvaluationFile(stateDirectory), `${JSON.stringify(evaluation)}\n`);
}

/**
 * The final evaluations of a research, oldest first; none when there is no file. A line that is not a final
 * evaluation (torn by a kill, or edited) is skipped: these figures are a report, never a decision's input.
 */
export async function readFinalEvaluations(stateDirectory: string): Promise<FinalEvaluation[]> {
  let text: string;
  try {
    text = await readFile(finalEvaluationFile(stateDirectory), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const evaluations: FinalEvaluation[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const value = JSON.parse(line) as FinalEvaluation;
      if (typeof value === "object" && value !== null && typeof value.best?.commit === "string") {
        evaluations.push(value);
      }
    } catch {
      // Skipped, as said above.
    }
  }
  return evaluations;
}

/** The latest final evaluation, if any. */
export async function readLatestFinalEvaluation(
  stateDirectory: string,
): Promise<FinalEvaluation | undefined> {
  return (await readFinalEvaluations(stateDirectory)).at(-1);
}
