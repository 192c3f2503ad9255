import type { Runner } from "../spec/runner.js";
import { type InFlightTrial, killLeftoverGroup } from "./in-flight.js";

/**
 * Stops what a driver that died left running: the process groups it recorded, and whatever its runners can find
 * of their own (jobs on a cluster, by the ids it recorded and by name). Returns one warning per thing stopped, or
 * per runner that could not look; a runner that cannot recover does not stop the research from starting.
 */
export async function recoverLeftoverRuns(options: {
  runners: readonly Runner[];
  tag: string;
  stateDirectory: string;
  /** The trials the dead driver had in flight (one per slot at most). */
  leftovers: readonly InFlightTrial[];
  abortSignal: AbortSignal;
}): Promise<string[]> {
  const { leftovers } = options;
  for (const group of leftovers.flatMap((trial) => trial.processGroups)) killLeftoverGroup(group);
  const warnings: string[] = [];
  for (const runner of new Set(options.runners)) {
    if (runner.recover === undefined) continue;
    try {
      const { stopped } = await runner.recover({
        tag: options.tag,
        stateDirectory: options.stateDirectory,
        jobIds: leftovers.flatMap((trial) => trial.jobIds ?? []),
        abortSignal: options.abortSignal,
      });
      warnings.push(...stopped);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      warnings.push(`the ${runner.name} runner could not look for runs left by a stopped driver: ${message}`);
    }
  }
  return warnings;
}
