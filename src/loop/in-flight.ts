import { renameSync, writeFileSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrialKind, TrialRecord } from "../spec/records.js";
import type { RunStartInfo } from "../spec/runner.js";

/**
 * The trial under way, written before anything of it happens and removed once its record is in the ledger.
 * A driver that finds one at start-up knows the previous driver died mid-trial: it kills the experiment's
 * process group and records the trial as interrupted, so nothing is lost and nothing is recorded twice.
 */
export interface InFlightTrial {
  id: number;
  kind: TrialKind;
  repairOf?: number;
  parent: string;
  commit: string | null;
  description: string;
  changedFiles: string[];
  proposer: TrialRecord["proposer"];
  /** Process groups of experiments started for this trial. */
  processGroups: number[];
  /** Cluster jobs submitted for this trial (e.g. Slurm job ids). */
  jobIds?: string[];
  startedAt: string;
}

export function inFlightFile(stateDirectory: string): string {
  return join(stateDirectory, "trial.json");
}

// Each write goes through its own temporary file: a synchronous write (from a runner callback) may overlap an
// asynchronous one, and the rename makes whichever lands last the whole marker.
let writes = 0;
const temporary = (file: string) => `${file}.${process.pid}.${++writes}.tmp`;

export async function writeInFlight(stateDirectory: string, trial: InFlightTrial): Promise<void> {
  const file = inFlightFile(stateDirectory);
  const staged = temporary(file);
  await writeFile(staged, JSON.stringify(trial));
  await rename(staged, file);
}

export function writeInFlightSync(stateDirectory: string, trial: InFlightTrial): void {
  const file = inFlightFile(stateDirectory);
  const staged = temporary(file);
  writeFileSync(staged, JSON.stringify(trial));
  renameSync(staged, file);
}

export async function readInFlight(stateDirectory: string): Promise<InFlightTrial | undefined> {
  try {
    return JSON.parse(await readFile(inFlightFile(stateDirectory), "utf8")) as InFlightTrial;
  } catch {
    return undefined;
  }
}

export async function clearInFlight(stateDirectory: string): Promise<void> {
  await rm(inFlightFile(stateDirectory), { force: true });
}

/** Adds what a runner reported through `onStart` (a process group, a job) to the trial's marker. */
export function noteRunStart(trial: InFlightTrial, info: RunStartInfo): void {
  if (info.pid !== undefined) trial.processGroups.push(info.pid);
  if (info.jobId !== undefined) trial.jobIds = [...(trial.jobIds ?? []), info.jobId];
}

/** Kills a process group left by a dead driver; a group that is already gone is fine. */
export function killLeftoverGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left to kill.
  }
}
