import { readdir, readFile, readlink } from "node:fs/promises";

async function processIds(): Promise<number[]> {
  try {
    return (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry)).map(Number);
  } catch {
    return [];
  }
}

async function parentOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

async function pidNamespace(pid: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/**
 * Sends `signal` to every process inside the PID namespace that the `bwrap` process `outerPid` made, so that an
 * experiment gets its SIGTERM (and a chance to stop cleanly) before the namespace is ended with SIGKILL. Processes
 * that left their session or cleared their environment are found too: they cannot leave the namespace. The
 * namespace's own init is skipped (it ignores signals from outside). Linux only; returns how many were signalled.
 */
export async function signalSandboxMembers(outerPid: number, signal: NodeJS.Signals): Promise<number> {
  if (process.platform !== "linux") return 0;
  const pids = await processIds();
  const parents = await Promise.all(pids.map(parentOf));
  const init = pids.find((_, index) => parents[index] === outerPid);
  if (init === undefined) return 0;
  const namespace = await pidNamespace(init);
  if (namespace === undefined || namespace === (await pidNamespace(outerPid))) return 0;
  const namespaces = await Promise.all(pids.map(pidNamespace));
  let signalled = 0;
  for (const [index, pid] of pids.entries()) {
    if (pid === init || namespaces[index] !== namespace) continue;
    try {
      process.kill(pid, signal);
      signalled++;
    } catch {
      // Gone already.
    }
  }
  return signalled;
}
