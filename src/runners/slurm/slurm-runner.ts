import { join } from "node:path";
import type { PreflightOptions, PreflightResult } from "../../spec/preflight.js";
import type { Runner } from "../../spec/runner.js";
import { createJobPoller } from "./job-poller.js";
import { createSlurmCommands } from "./slurm-commands.js";
import { preflightSlurm } from "./slurm-preflight.js";
import { recoverSlurmJobs } from "./slurm-recovery.js";
import { runSlurmJob } from "./slurm-run.js";
import {
  normalizeSlurmRunnerOptions,
  resourceArguments,
  type SlurmRunnerOptions,
} from "./slurm-runner-options.js";

/**
 * A runner that submits each run as a Slurm job (`sbatch`) and follows it to its end: one job per run, named
 * `autoresearch-<tag>-<trial>-<sample>`; its output streamed from the shared file system into the run's log and
 * `onLine`; time in the queue reported apart from run time (`queuedMs`); the run's timeout counted from the
 * job's start and enforced with `scancel` (SIGTERM, then a cancel after `killGraceMs`); the scheduler's verdict
 * (out of memory, node failure, preemption, …) as the run's `failure`. `recover` cancels what a killed driver
 * left in the queue; `preflight` checks that Slurm answers and that the compute nodes see the repository.
 */
export function createSlurmRunner(options: SlurmRunnerOptions): Omit<Runner, "preflight"> & {
  recover: NonNullable<Runner["recover"]>;
  preflight(
    options: Pick<PreflightOptions, "directory" | "abortSignal"> & Partial<Pick<PreflightOptions, "history">>,
  ): Promise<Required<PreflightResult>>;
} {
  const normalized = normalizeSlurmRunnerOptions(options);
  const commands = createSlurmCommands({ binDirectory: normalized.binDirectory });
  const poller = createJobPoller(commands, normalized.pollIntervalMs);
  const resources = resourceArguments(normalized.sbatch, normalized);
  const scancel =
    normalized.binDirectory === undefined ? "scancel" : join(normalized.binDirectory, "scancel");
  const { time: _time, cpusPerTask: _cpus, mem: _mem, ...placement } = normalized.sbatch;
  return {
    name: "slurm",
    appliesSandbox: true,
    run: (runOptions) =>
      runSlurmJob({ options: normalized, commands, poller, resources, scancel }, runOptions),
    recover: (recoverOptions) =>
      recoverSlurmJobs(commands, { ...recoverOptions, pollIntervalMs: normalized.pollIntervalMs }),
    preflight: (preflightOptions) =>
      preflightSlurm(
        {
          commands,
          placement: resourceArguments({ ...placement }, { killGraceMs: 0 }),
          pollIntervalMs: normalized.pollIntervalMs,
          timeoutMs: normalized.preflightTimeoutMs,
        },
        preflightOptions,
      ),
  };
}
