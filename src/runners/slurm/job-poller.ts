import type { QueueEntry, SlurmCommands } from "./slurm-commands.js";

/** One look at a job: its queue entry, `gone` when the scheduler no longer lists it, or why asking failed. */
export type Observation =
  | { kind: "seen"; entry: QueueEntry }
  | { kind: "gone" }
  | { kind: "error"; error: string };

export interface JobPoller {
  /** The job's state at the next poll. All jobs waiting for a poll are asked about in one `squeue`. */
  next(jobId: string): Promise<Observation>;
}

/**
 * Asks the scheduler about every job of a runner at once, every `intervalMs` while any run waits for news, so
 * that N concurrent runs cost one `squeue` per interval rather than N: clusters ask their users not to poll hard.
 */
export function createJobPoller(commands: SlurmCommands, intervalMs: number): JobPoller {
  const waiting = new Map<string, ((observation: Observation) => void)[]>();
  let scheduled = false;

  async function poll(): Promise<void> {
    const batch = new Map(waiting);
    waiting.clear();
    const answer = await commands
      .queue([...batch.keys()])
      .catch((error: unknown) => ({ ok: false as const, error: String(error) }));
    for (const [jobId, listeners] of batch) {
      let observation: Observation;
      if (!answer.ok) observation = { kind: "error", error: answer.error };
      else {
        const entry = answer.value.get(jobId);
        observation = entry === undefined ? { kind: "gone" } : { kind: "seen", entry };
      }
      for (const listener of listeners) listener(observation);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setTimeout(() => {
      void poll().finally(() => {
        scheduled = false;
        if (waiting.size > 0) schedule();
      });
    }, intervalMs);
  }

  return {
    next(jobId) {
      return new Promise((resolve) => {
        const listeners = waiting.get(jobId) ?? [];
        listeners.push(resolve);
        waiting.set(jobId, listeners);
        schedule();
      });
    },
  };
}
