import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TrialKind, TrialRecord } from "../spec/records.js";
import type { RunStartInfo } from "../spec/runner.js";

/**
 * A trial under way, written before anything of it happens and removed once its record is in the ledger: one
 * marker per trial in flight, so several slots can run at once. A driver that finds markers at start-up knows the
 * previous driver died mid-trial: it kills what they started and records those trials as interrupted, so nothing
 * is lost and nothing is recorded twice.
 */
export interface InFlightTrial {
  id: number;
  kind: TrialKind;
  repairOf?: number;
  rebaseOf?: number;
  parent: string;
  commit: string | null;
  description: string;
  changedFiles: string[];
  proposer: TrialRecord["proposer"];
  /** The slot running it, once it has one. */
  slot?: number;
  /** Process groups of experiments started for this trial. */
  processGroups: number[];
  /** Cluster jobs submitted for this trial (e.g. Slurm job ids). */
  jobIds?: string[];
  startedAt: string;
}

/** The folder of the markers, one `<id>.json` per trial in flight. */
export function inFlightDirectory(stateDirectory: string): string {
  return join(stateDirectory, "in-flight");
}

// Where a single-trial driver of an earlier version left its one marker; still read, so it is recovered too.
const legacyMarker = (stateDirectory: string) => join(stateDirectory, "trial.json");

const markerFile = (stateDirectory: string, id: number) =>
  join(inFlightDirectory(stateDirectory), `${id}.json`);

// Each write goes through its own temporary file: a synchronous write (from a runner callback) may overlap an
// asynchronous one, and the rename makes whichever lands last the whole marker.
let writes = 0;
const temporary = (file: string) => `${file}.${process.pid}.${++writes}.tmp`;

export async function writeInFlight(stateDirectory: string, trial: InFlightTrial): Promise<void> {
  const file = markerFile(stateDirectory, trial.id);
  await mkdir(inFlightDirectory(stateDirectory), { recursive: true });
  const staged = temporary(file);
  await writeFile(staged, JSON.stringify(trial));
  await rename(staged, file);
}

export function writeInFlightSync(stateDirectory: string, trial: InFlightTrial): void {
  const file = markerFile(stateDirectory, trial.id);
  mkdirSync(inFlightDirectory(stateDirectory), { recursive: true });
  const staged = temporary(file);
  writeFileSync(staged, JSON.stringify(trial));
  renameSync(staged, file);
}

async function readMarker(file: string): Promise<InFlightTrial | undefined> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as InFlightTrial;
  } catch {
    // Missing, or torn by a kill before its rename: a torn temporary file never became a marker.
    return undefined;
  }
}

/** Every marker left in the state directory, in trial order. */
export async function readAllInFlight(stateDirectory: string): Promise<InFlightTrial[]> {
  const names = await readdir(inFlightDirectory(stateDirectory)).catch(() => [] as string[]);
  const markers = await Promise.all(
    names
      .filter((name) => /^\d+\.json$/.test(name))
      .map((name) => readMarker(join(inFlightDirectory(stateDirectory), name))),
  );
  const legacy = await readMarker(legacyMarker(stateDirectory));
  const all = [...markers, legacy].filter((marker): marker is InFlightTrial => marker !== undefined);
  const unique = new Map(all.map((marker) => [marker.id, marker]));
  return [...unique.values()].sort((a, b) => a.id - b.id);
}

export async function clearInFlight(stateDirectory: string, id: number): Promise<void> {
  await rm(markerFile(stateDirectory, id), { force: true });
}

/** Removes every marker and any temporary file a killed driver left half-written. */
export async function clearAllInFlight(stateDirectory: string): Promise<void> {
  await rm(inFlightDirectory(stateDirectory), { recursive: true, force: true });
  await rm(legacyMarker(stateDirectory), { force: true });
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
