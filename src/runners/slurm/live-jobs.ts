import { spawnSync } from "node:child_process";

/**
 * Jobs of this driver that have not ended yet, by the `scancel` that can cancel them. A driver that exits (an
 * uncaught error, `process.exit`) cancels them on its way out; a driver killed outright leaves them for the next
 * start's recovery.
 */
const liveJobs = new Map<string, string>();
let exitHandlerInstalled = false;

function cancelLiveJobs(): void {
  const byProgram = new Map<string, string[]>();
  for (const [jobId, scancel] of liveJobs) byProgram.set(scancel, [...(byProgram.get(scancel) ?? []), jobId]);
  for (const [scancel, jobIds] of byProgram) {
    // Synchronous: nothing asynchronous runs once the process is exiting.
    spawnSync(scancel, jobIds, { stdio: "ignore", timeout: 10_000 });
  }
}

export function registerLiveJob(jobId: string, scancel: string): void {
  if (!exitHandlerInstalled) {
    // Installed on first use rather than on import: importing the library must have no side effects.
    process.on("exit", cancelLiveJobs);
    exitHandlerInstalled = true;
  }
  liveJobs.set(jobId, scancel);
}

export function releaseLiveJob(jobId: string): void {
  liveJobs.delete(jobId);
}
