import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { LockedError } from "../errors/autoresearch-error.js";

export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
}

/** Whether a process of this host is alive (EPERM: it is, but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads the lock file; `undefined` when there is none or it is unreadable. */
export async function readLock(file: string): Promise<(LockHolder & { alive: boolean }) | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, "utf8")) as LockHolder;
    const alive = holder.hostname === hostname() ? isProcessAlive(holder.pid) : true;
    return { ...holder, alive };
  } catch {
    return undefined;
  }
}

/**
 * Takes the one-driver-per-tag lock. A lock left by a dead process on this host is stale and taken over;
 * a live holder (or one on another host, which cannot be checked) is a LockedError naming it.
 */
export async function acquireLock(file: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, "wx");
      const holder: LockHolder = {
        pid: process.pid,
        hostname: hostname(),
        startedAt: new Date().toISOString(),
      };
      await handle.writeFile(JSON.stringify(holder));
      await handle.close();
      return async () => {
        const current = await readLock(file);
        if (current?.pid === holder.pid && current.hostname === holder.hostname)
          await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = await readLock(file);
      if (holder?.alive) {
        throw new LockedError({
          message: `Another driver (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}) is running this tag; its lock is ${file}. Stop it first, or use another tag.`,
          holder,
        });
      }
      await rm(file, { force: true });
    }
  }
  throw new LockedError({ message: `Could not take the lock ${file}: it keeps reappearing` });
}
