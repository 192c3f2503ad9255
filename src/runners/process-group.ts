import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";

/**
 * Experiments run in their own process group so that one signal reaches every process they started. Because a
 * detached child is no longer killed with its parent, the groups still alive are remembered here and killed when
 * the driver exits.
 */

const liveGroups = new Set<number>();
let exitHandlerInstalled = false;

function killLiveGroupsOnExit(): void {
  for (const pid of liveGroups) {
    try {
      killProcessGroup(pid, "SIGKILL");
    } catch {
      // Nothing useful can be done about a group we may not signal while the driver is exiting.
    }
  }
}

/** Remembers a live process group until {@link releaseProcessGroup}; it is SIGKILLed if the driver exits first. */
export function registerProcessGroup(pid: number): void {
  if (!exitHandlerInstalled) {
    // Installed on first use rather than on import: importing the library must have no side effects.
    process.on("exit", killLiveGroupsOnExit);
    exitHandlerInstalled = true;
  }
  liveGroups.add(pid);
}

export function releaseProcessGroup(pid: number): void {
  liveGroups.delete(pid);
}

/**
 * Sends `signal` (default `SIGKILL`) to every process of the group led by `pid`. Returns false when the group is
 * already gone; any other failure (e.g. `EPERM`) is thrown.
 */
export function killProcessGroup(pid: number, signal: NodeJS.Signals | number = "SIGKILL"): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/**
 * Whether any process of the group led by `pid` is still alive, e.g. to let a restarted driver clean up after
 * one that was killed (the group id is passed to `onStart` and may be recorded).
 */
export function isProcessGroupAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(-pid, 0);
  } catch (error) {
    // EPERM: the group exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return process.platform !== "linux" || hasLiveMember(pid);
}

/**
 * A group whose members have all exited but not been reaped (zombies, common in containers whose init does
 * not reap orphans) still answers signal 0; on Linux, `/proc` tells whether any member is really running.
 */
function hasLiveMember(group: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === group && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

/**
 * SIGKILLs every process whose environment holds `variable=value`: the ones that escaped their process group
 * (`setsid`, daemons), or, for a restarted driver, the ones a killed driver started before it could record their
 * group. Linux only (it reads `/proc`); elsewhere the process group is the boundary. Returns how many it killed.
 */
export async function killByEnvironment(variable: string, value: string): Promise<number> {
  if (process.platform !== "linux") return 0;
  const needle = Buffer.from(`${variable}=${value}\0`);
  let killed = 0;
  // A process may fork while we look, so look again until a pass finds nothing.
  for (let pass = 0; pass < 5; pass++) {
    let entries: string[];
    try {
      entries = await readdir("/proc");
    } catch {
      return killed;
    }
    let found = 0;
    await Promise.all(
      entries.map(async (entry) => {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) return;
        try {
          const environment = await readFile(`/proc/${entry}/environ`);
          if (environment.includes(needle)) {
            process.kill(Number(entry), "SIGKILL");
            found += 1;
          }
        } catch {
          // Gone already, or not ours to read.
        }
      }),
    );
    killed += found;
    if (found === 0) return killed;
  }
  return killed;
}
