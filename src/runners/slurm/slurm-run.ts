import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { collectSecrets } from "../../secrets/secret-values.js";
import type { RunResult } from "../../spec/records.js";
import type { RunOptions } from "../../spec/runner.js";
import { createOutputCapture } from "../output-capture.js";
import { followFile } from "./follow-file.js";
import { jobName } from "./job-name.js";
import { jobOutcome } from "./job-outcome.js";
import type { JobPoller } from "./job-poller.js";
import { buildJobScript, type CommandWrapper } from "./job-script.js";
import { watchJob } from "./job-watch.js";
import { registerLiveJob, releaseLiveJob } from "./live-jobs.js";
import { sandboxWrapper } from "./node-sandbox.js";
import type { SlurmCommands } from "./slurm-commands.js";
import type { NormalizedSlurmRunnerOptions } from "./slurm-runner-options.js";

/** What every run of one Slurm runner shares. */
export interface SlurmRunContext {
  options: NormalizedSlurmRunnerOptions;
  commands: SlurmCommands;
  poller: JobPoller;
  /** The resource flags of every job (partition, gres, time, …). */
  resources: string[];
  /** The `scancel` to run when the driver exits with jobs in flight. */
  scancel: string;
  /** Wraps the experiment's argv on the compute node (the research's sandbox). */
  wrap?: CommandWrapper | undefined;
}

/** The job's raw output, next to the run's log; removed once the log has all of it. */
export function jobOutputFile(logFile: string): string {
  return `${logFile.replace(/\.log$/, "")}.slurm-output`;
}

/**
 * One run as one Slurm job: submit it, follow its output from the shared file system into the run's log and
 * `onLine` while the scheduler runs it, stop it on timeout or abort, and report its end as the scheduler saw it.
 */
export async function runSlurmJob(context: SlurmRunContext, runOptions: RunOptions): Promise<RunResult> {
  const { options, commands } = context;
  const { directory, logFile, abortSignal } = runOptions;
  await mkdir(dirname(logFile), { recursive: true });

  let callbackError: { error: unknown } | undefined;
  let stopForCallback = () => {};
  const onLine = runOptions.onLine;
  const env = { ...options.env, ...runOptions.env };
  const capture = createOutputCapture({
    logFile,
    maxLogBytes: options.maxLogBytes,
    sources: 1,
    // The research's secrets and the credentials of the job's environment, which sbatch takes from the driver's.
    secrets: collectSecrets(runOptions.secrets ?? [], { ...process.env, ...env }),
    ...(onLine === undefined
      ? {}
      : {
          onLine(line: string) {
            if (callbackError !== undefined) return;
            try {
              onLine(line);
            } catch (error) {
              callbackError = { error };
              stopForCallback();
            }
          },
        }),
  });
  const result = async (fields: Partial<RunResult>): Promise<RunResult> => ({
    exitCode: null,
    signal: null,
    durationMs: 0,
    timedOut: false,
    interrupted: false,
    logFile,
    ...(await capture.close()),
    ...fields,
  });

  if (abortSignal.aborted) {
    capture.note("[autoresearch: not submitted: the research was aborted]");
    return result({ interrupted: true });
  }

  const name = jobName(env.AUTORESEARCH_TAG ?? "research", runOptions.trial, env.AUTORESEARCH_SAMPLE ?? "0");
  const outputFile = jobOutputFile(logFile);
  await rm(outputFile, { force: true });
  const submittedAt = performance.now();
  if (outputFile.includes("%")) {
    // sbatch reads `%j`, `%u`, … in --output as patterns; a path that has them cannot be given as it is.
    const reason = `Slurm cannot write to ${outputFile}: it reads \`%\` in file names as a pattern; move the repository to a path without \`%\``;
    capture.note(`[autoresearch: ${reason}]`);
    return result({ failure: { kind: "not-submitted", reason } });
  }
  let script: string;
  try {
    script = buildJobScript({
      command: options.command,
      directory,
      env,
      description: name,
      // The research's sandbox wraps the command on the compute node (bubblewrap must be there too).
      wrap: runOptions.sandbox === undefined ? context.wrap : sandboxWrapper(runOptions.sandbox),
    });
  } catch (error) {
    const reason = `the job script could not be written: ${error instanceof Error ? error.message : String(error)}`;
    capture.note(`[autoresearch: ${reason}]`);
    return result({ failure: { kind: "not-submitted", reason } });
  }
  const submitted = await commands.submit(script, [
    ...context.resources,
    `--job-name=${name}`,
    `--output=${outputFile}`,
    `--chdir=${directory}`,
    // A requeued job would run the trial twice and overwrite its output; a preempted trial is recorded instead.
    "--no-requeue",
  ]);
  if (!submitted.ok) {
    const reason = `Slurm did not accept the job: ${submitted.error}`;
    capture.note(`[autoresearch: ${reason}]`);
    // A submission that timed out may have queued the job all the same: found by its name, it is cancelled
    // rather than left to run beside the next trial.
    const orphans = await cancelByName(commands, name, directory);
    if (orphans.length > 0)
      capture.note(`[autoresearch: cancelled job ${orphans.join(", ")}, queued all the same]`);
    return result({ failure: { kind: "not-submitted", reason } });
  }
  const jobId = submitted.value;
  registerLiveJob(jobId, context.scancel);

  const watch = watchJob({
    jobId,
    commands,
    poller: context.poller,
    timeoutMs: options.timeoutMs,
    killGraceMs: options.killGraceMs,
    note: (text) => capture.note(text),
  });
  stopForCallback = () => watch.stop("callback");
  try {
    runOptions.onStart?.({ jobId });
  } catch (error) {
    callbackError = { error };
    watch.stop("callback");
  }
  const onAbort = () => watch.stop("abort");
  abortSignal.addEventListener("abort", onAbort, { once: true });
  // onStart may have aborted already, and a listener added after the fact never fires.
  if (abortSignal.aborted) watch.stop("abort");

  const follower = followFile(outputFile, capture);
  const outputIntervalMs = Math.min(250, options.pollIntervalMs);
  let following = true;
  const followed = (async () => {
    while (following) {
      await follower.read();
      await sleep(outputIntervalMs);
    }
  })();
  const watched = await watch.done;
  abortSignal.removeEventListener("abort", onAbort);
  following = false;
  await followed;
  // What the node wrote last may reach a shared file system a moment after the job ended.
  await follower.read();
  await sleep(outputIntervalMs);
  await follower.read();
  await rm(outputFile, { force: true });

  const outcome = await jobOutcome({
    jobId,
    commands,
    watched,
    submittedAt,
    requested: {
      time: context.resources.find((flag) => flag.startsWith("--time="))?.slice("--time=".length),
      mem: options.sbatch.mem === undefined ? undefined : String(options.sbatch.mem),
    },
    output: { seen: follower.seen, file: outputFile },
  });
  if (!outcome.mayStillRun) releaseLiveJob(jobId);
  capture.note(outcome.note);
  const runResult = await result(outcome.fields);
  if (callbackError !== undefined) throw callbackError.error;
  return runResult;
}

/** Cancels this user's pending or running jobs named `name` that run in `directory`; returns their ids. */
async function cancelByName(commands: SlurmCommands, name: string, directory: string): Promise<string[]> {
  const own = await commands.ownJobs();
  if (!own.ok) return [];
  const ids = own.value
    .filter((job) => job.name === name && (job.workDirectory === "" || job.workDirectory === directory))
    .map((job) => job.jobId);
  if (ids.length > 0) await commands.cancel(ids);
  return ids;
}
