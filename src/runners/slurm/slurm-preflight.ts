import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigurationError, WorkspaceError } from "../../errors/autoresearch-error.js";
import { shellQuote } from "../../shell-quote.js";
import type { PreflightOptions, PreflightResult } from "../../spec/preflight.js";
import { baseState, isFinalState } from "./job-state.js";
import type { QueueEntry, SlurmCommands } from "./slurm-commands.js";

export interface SlurmPreflightContext {
  commands: SlurmCommands;
  /** Flags for where the jobs run (partition, account, qos, gres, extra), without the per-run limits. */
  placement: string[];
  pollIntervalMs: number;
  timeoutMs: number;
}

const sharedFileSystemAdvice =
  "autoresearch runs each trial from the repository's own folder, so the repository must be on a file system " +
  "that the login node and the compute nodes share (usually your home or project directory; not /tmp or a " +
  "local disk). Move or clone it there and start again.";

/**
 * Checks that Slurm jobs can be run from here: `sbatch` is found, the controller answers, and a tiny job on a
 * compute node sees the directory the experiments run in, with what the driver just wrote into it. A research
 * resumed after one of its jobs completed skips the job: it would only wait in the queue to prove it again.
 * Rejects with a ConfigurationError (Slurm not usable) or a WorkspaceError (directory not shared).
 */
export async function preflightSlurm(
  context: SlurmPreflightContext,
  options: Pick<PreflightOptions, "directory" | "abortSignal"> & Partial<Pick<PreflightOptions, "history">>,
): Promise<Required<PreflightResult>> {
  const { commands } = context;
  const passed: string[] = [];
  const warnings: string[] = [];

  const version = await commands.version();
  if (!version.ok)
    throw new ConfigurationError({ field: "runner", message: `Slurm is not usable: ${version.error}` });
  passed.push(`sbatch found (${version.value.trim()})`);
  const own = await commands.ownJobs();
  if (!own.ok) {
    throw new ConfigurationError({
      field: "runner",
      message: `the Slurm controller does not answer: ${own.error}`,
    });
  }
  passed.push("the Slurm controller answers");

  // A resumed research whose jobs completed already has its proof: no probe job waits in the queue again.
  const completed = (options.history ?? []).findLast((record) => record.run?.job?.state === "COMPLETED");
  if (completed?.run?.job !== undefined) {
    const { id, nodes } = completed.run.job;
    passed.push(
      `job ${id} of trial ${completed.id} completed${nodes === undefined ? "" : ` on ${nodes}`}: the compute nodes see the research's folder`,
    );
    return { passed, warnings };
  }

  const directory = resolve(options.directory);
  const probe = join(directory, `.autoresearch-preflight-${randomUUID()}`);
  const token = randomUUID();
  await mkdir(probe, { recursive: true });
  try {
    await writeFile(join(probe, "token"), token);
    const script = [
      "#!/bin/bash",
      "# autoresearch preflight: is this folder visible here, with what the driver wrote?",
      `if [ "$(cat ${shellQuote(join(probe, "token"))} 2>/dev/null)" = ${shellQuote(token)} ]; then`,
      `  hostname > ${shellQuote(join(probe, "seen"))}`,
      "else",
      "  exit 3",
      "fi",
      "",
    ].join("\n");
    const submitted = await commands.submit(script, [
      ...context.placement,
      "--time=2",
      "--job-name=autoresearch-preflight",
      "--output=/dev/null",
      // The job must start somewhere that exists on every node, whatever it finds of `directory`.
      "--chdir=/",
    ]);
    if (!submitted.ok) {
      throw new ConfigurationError({
        field: "runner",
        message: `Slurm did not accept a test job: ${submitted.error}`,
      });
    }
    const jobId = submitted.value;
    const { end, last } = await waitForEnd(context, jobId, options.abortSignal);
    if (end === undefined) {
      await commands.cancel([jobId]);
      warnings.push(
        `could not check that ${directory} is visible from the compute nodes: the test job ${jobId} did not finish ` +
          `within ${Math.round(context.timeoutMs / 1000)} s (last seen ${describe(last)})`,
      );
      return { passed, warnings };
    }
    // The job completes only when it read the token; its `seen` file names the node, but a network file system
    // may show a file that another machine just created a few seconds late, so completion alone is proof.
    const seen = await readFile(join(probe, "seen"), "utf8").catch(() => undefined);
    const node = seen?.trim() || end.nodes || "a compute node";
    if (baseState(end.state) !== "COMPLETED" && seen === undefined) {
      throw new WorkspaceError({
        message:
          `${directory} is not visible from ${node}: a test job (Slurm job ${jobId}, ${baseState(end.state)}) did ` +
          `not find there what the driver had written. ${sharedFileSystemAdvice}`,
      });
    }
    passed.push(`${directory} is visible from the compute node ${node} (Slurm job ${jobId})`);
    return { passed, warnings };
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

function describe(entry: QueueEntry | undefined): string {
  if (entry === undefined) return "nowhere";
  return `${entry.state.toLowerCase()}${entry.reason && entry.reason !== "None" ? `, reason ${entry.reason}` : ""}`;
}

async function waitForEnd(
  context: SlurmPreflightContext,
  jobId: string,
  abortSignal: AbortSignal,
): Promise<{ end?: QueueEntry; last?: QueueEntry }> {
  const deadline = performance.now() + context.timeoutMs;
  let last: QueueEntry | undefined;
  while (performance.now() < deadline && !abortSignal.aborted) {
    await sleep(context.pollIntervalMs);
    const asked = await context.commands.queue([jobId]);
    if (!asked.ok) continue;
    const entry = asked.value.get(jobId);
    // Forgotten already: it ended long enough ago; what it left in the folder tells the rest.
    if (entry === undefined) return { end: { ...(last ?? emptyEntry(jobId)), state: "ENDED" } };
    last = entry;
    if (isFinalState(entry.state)) return { end: entry };
  }
  return last === undefined ? {} : { last };
}

function emptyEntry(jobId: string): QueueEntry {
  return { jobId, name: "", state: "", reason: "", nodes: "", workDirectory: "" };
}
