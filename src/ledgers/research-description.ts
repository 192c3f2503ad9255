import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Direction } from "../spec/objective.js";

/**
 * `.autoresearch/<tag>/research.json`: what the ledger's numbers mean (the metric and its direction), written by
 * the loop at every start, so that status and reports need not guess.
 */
export interface ResearchDescription {
  tag: string;
  metric: string;
  direction: Direction;
  branch: string;
  objective: string;
  mutator: string;
  runner: string;
  startedAt: string;
  /** What confines the runs: `bubblewrap <version>`, `unsandboxed: <why>`, or `off`. */
  sandbox?: string;
}

export async function writeResearchDescription(
  stateDirectory: string,
  description: ResearchDescription,
): Promise<void> {
  const file = join(stateDirectory, "research.json");
  await writeFile(`${file}.tmp`, `${JSON.stringify(description, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** The description of the research in `stateDirectory`, or `undefined` when there is none (older ledgers). */
export async function readResearchDescription(
  stateDirectory: string,
): Promise<ResearchDescription | undefined> {
  try {
    const value = JSON.parse(
      await readFile(join(stateDirectory, "research.json"), "utf8"),
    ) as ResearchDescription;
    return typeof value.metric === "string" &&
      (value.direction === "minimize" || value.direction === "maximize")
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}
