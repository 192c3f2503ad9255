import type { CompareOptions } from "../spec/objective.js";
import type { CaseScores, TrialRecord } from "../spec/records.js";

/** Every attempt of every run, case by case; `undefined` unless every run measured cases. */
export function mergeCaseScores(runs: readonly (CaseScores | undefined)[]): CaseScores | undefined {
  if (runs.length === 0 || runs.some((run) => run === undefined)) return undefined;
  const merged = new Map<string, number[]>();
  for (const run of runs as CaseScores[]) {
    for (const [id, attempts] of Object.entries(run)) {
      const known = merged.get(id);
      if (known === undefined) merged.set(id, [...attempts]);
      else known.push(...attempts);
    }
  }
  return Object.fromEntries(merged);
}

/** The per-case fields of `compare`: the candidate's runs against the incumbent's (re-runs, else its record). */
export function caseCompareOptions(
  candidateRuns: readonly (CaseScores | undefined)[],
  incumbentReruns: readonly (CaseScores | undefined)[],
  incumbent: TrialRecord | undefined,
): Pick<CompareOptions, "candidateCases" | "incumbentCases"> {
  const candidateCases = mergeCaseScores(candidateRuns);
  const incumbentCases = incumbentReruns.length > 0 ? mergeCaseScores(incumbentReruns) : incumbent?.cases;
  if (candidateCases === undefined || incumbentCases === undefined) return {};
  return { candidateCases, incumbentCases };
}
