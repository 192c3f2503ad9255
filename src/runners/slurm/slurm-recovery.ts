import { sep } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RecoverOptions, RecoverResult } from "../../spec/runner.js";
import { isJobNameOf } from "./job-name.js";
import { isFinalState } from "./job-state.js";
import type { QueueEntry, SlurmCommands } from "./slurm-commands.js";

// How long a restarted driver waits for the jobs it cancelled to leave the queue before it goes on.
const leaveTimeoutMs = 60_000;

/**
 * Cancels the jobs a dead driver of this research left in the queue: those whose ids it recorded, and those
 * named after the research that run in its state directory (submitted before their id could be recorded).
 * Waits until they are gone, so that nothing they do overlaps the next trial.
 */
export async function recoverSlurmJobs(
  commands: SlurmCommands,
  options: RecoverOptions & { pollIntervalMs: number },
): Promise<RecoverResult> {
  const recorded = new Set(options.jobIds);
  const inState = (path: string) =>
    path === options.stateDirectory || path.startsWith(`${options.stateDirectory}${sep}`);
  const ours = (entry: QueueEntry) => !isFinalState(entry.state) && isJobNameOf(entry.name, options.tag);
  const listed = await commands.ownJobs();
  let leftovers: QueueEntry[];
  if (listed.ok) {
    leftovers = listed.value.filter(
      (entry) => ours(entry) && (recorded.has(entry.jobId) || inState(entry.workDirectory)),
    );
  } else {
    // Without the list of this user's jobs, at least the recorded ones.
    const asked = await commands.queue([...recorded]);
    if (!asked.ok) {
      const what = recorded.size === 0 ? "its jobs" : `jobs ${[...recorded].join(", ")}`;
      return { stopped: [`could not ask Slurm about ${what} left by a driver that stopped: ${asked.error}`] };
    }
    leftovers = [...asked.value.values()].filter(ours);
  }
  if (leftovers.length === 0) return { stopped: [] };

  const ids = leftovers.map((entry) => entry.jobId);
  await commands.cancel(ids);
  const deadline = performance.now() + leaveTimeoutMs;
  let remaining = ids;
  while (remaining.length > 0 && performance.now() < deadline && !options.abortSignal.aborted) {
    const asked = await commands.queue(remaining);
    if (asked.ok)
      remaining = remaining.filter((id) => {
        const entry = asked.value.get(id);
        return entry !== undefined && !isFinalState(entry.state);
      });
    if (remaining.length > 0) await sleep(Math.min(options.pollIntervalMs, 1000));
  }
  return {
    stopped: leftovers.map(
      (entry) =>
        `cancelled Slurm job ${entry.jobId} (${entry.name}, ${entry.state.toLowerCase()}) left by a driver that stopped` +
        (remaining.includes(entry.jobId)
          ? `; it had not left the queue after ${leaveTimeoutMs / 1000} s`
          : ""),
    ),
  };
}
