import { z } from "zod";
import { toConfigurationError } from "../../errors/format-zod-error.js";
import { commandSchema, maxTimerMs } from "../command-runner.js";

const word = (what: string) => z.string().min(1).regex(/^\S+$/, `${what} without spaces`);

// sbatch's --time: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS, or no limit.
const slurmTimePattern = /^(?:\d+-\d+(?::\d+){0,2}|\d+(?::\d+){0,2}|UNLIMITED|INFINITE)$/i;

// The runner sets these itself: one job per run, its output where the runner reads it.
const managedFlags = ["--job-name", "--output", "--error", "--chdir", "--parsable", "--wrap", "--array"];
const managedShortFlags = ["-J", "-o", "-e", "-D", "-a"];

/** What each job asks of Slurm: the usual `sbatch` options, and any other as `extra` flags. */
export const sbatchOptionsSchema = z.strictObject({
  /** `--partition`: where the jobs run, e.g. `gpu`. */
  partition: word("a partition name").optional(),
  /** `--gres`: generic resources per job, e.g. `gpu:1` or `gpu:h100:1`. */
  gres: word("a gres such as `gpu:1`").optional(),
  /**
   * `--time`: the job's limit, in minutes or as Slurm writes it (`HH:MM:SS`, `D-HH:MM`). Defaults to the run's
   * timeout plus its grace, rounded up to a minute, plus a minute: the runner enforces the timeout itself, and
   * the limit ends the job even when the driver is gone.
   */
  time: z
    .union([
      z.number().int().positive(),
      z.string().regex(slurmTimePattern, "a Slurm time such as `90`, `01:30:00` or `1-00:00`"),
    ])
    .optional(),
  /** `--cpus-per-task`. */
  cpusPerTask: z.number().int().positive().optional(),
  /** `--mem`: memory per node, e.g. `64G`; a number is megabytes. */
  mem: z
    .union([
      z.number().int().positive(),
      z.string().regex(/^\d+[KMGT]?$/i, "a size such as `64G` or `16000M`"),
    ])
    .optional(),
  /** `--account`: whom the cluster charges. */
  account: word("an account name").optional(),
  /** `--qos`. */
  qos: word("a QOS name").optional(),
  /** More `sbatch` flags, each one argument, e.g. `["--constraint=h100", "--exclusive"]`. */
  extra: z
    .array(z.string().min(1))
    .refine(
      (flags) =>
        !flags.some(
          (flag) =>
            managedFlags.some((managed) => flag === managed || flag.startsWith(`${managed}=`)) ||
            managedShortFlags.some((managed) => flag.startsWith(managed)),
        ),
      `flags other than ${[...managedFlags, ...managedShortFlags].join(", ")}, which the runner sets itself`,
    )
    .default([]),
});

export const slurmRunnerOptionsSchema = z.strictObject({
  /** The experiment, run on the compute node in the run's directory: a shell command line or an argv array. */
  command: commandSchema,
  /** Environment for every job, on top of what `sbatch` passes on from the driver's. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a variable name"), z.string()).optional(),
  /** The run's time limit, counted from the job's start: time waiting in the queue does not count. */
  timeoutMs: z.number().positive().max(maxTimerMs).optional(),
  /**
   * After a timeout or an abort, how long the experiment has after SIGTERM before the job is cancelled (Slurm
   * then sends SIGKILL after the cluster's `KillWait`).
   */
  killGraceMs: z.number().nonnegative().max(maxTimerMs).default(10_000),
  maxLogBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
  sbatch: sbatchOptionsSchema.prefault({}),
  /** How often the scheduler is asked about the research's jobs (one `squeue` for all of them). */
  // At most two minutes: Slurm forgets a finished job after MinJobAge (300 s by default), and one ended and
  // forgotten between two polls could only be recorded as lost where there is no accounting.
  pollIntervalMs: z.number().int().min(50).max(120_000).default(1000),
  /** Where `sbatch`, `squeue`, `scontrol`, `scancel` and `sacct` are; by default they are looked up on PATH. */
  binDirectory: z.string().min(1).optional(),
  /** How long the preflight's check job may wait in the queue and run before the check gives up. */
  preflightTimeoutMs: z.number().positive().max(maxTimerMs).default(600_000),
});

/** Options of {@link createSlurmRunner}. */
export type SlurmRunnerOptions = z.input<typeof slurmRunnerOptionsSchema>;
export type NormalizedSlurmRunnerOptions = z.output<typeof slurmRunnerOptionsSchema>;
/** The `sbatch` part of {@link SlurmRunnerOptions}. */
export type SbatchOptions = z.input<typeof sbatchOptionsSchema>;
type NormalizedSbatchOptions = z.output<typeof sbatchOptionsSchema>;

export function normalizeSlurmRunnerOptions(options: SlurmRunnerOptions): NormalizedSlurmRunnerOptions {
  const parsed = slurmRunnerOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  return parsed.data;
}

/** `--time` in minutes for a run limited to `timeoutMs`, with room for the grace period. */
export function defaultTimeMinutes(timeoutMs: number, killGraceMs: number): number {
  return Math.ceil((timeoutMs + killGraceMs) / 60_000) + 1;
}

/** The `sbatch` flags for the resources every job asks for (not the per-run ones such as its name). */
export function resourceArguments(
  sbatch: NormalizedSbatchOptions,
  limits: { timeoutMs?: number | undefined; killGraceMs: number },
): string[] {
  const flags: string[] = [];
  if (sbatch.partition !== undefined) flags.push(`--partition=${sbatch.partition}`);
  if (sbatch.account !== undefined) flags.push(`--account=${sbatch.account}`);
  if (sbatch.qos !== undefined) flags.push(`--qos=${sbatch.qos}`);
  if (sbatch.gres !== undefined) flags.push(`--gres=${sbatch.gres}`);
  if (sbatch.cpusPerTask !== undefined) flags.push(`--cpus-per-task=${sbatch.cpusPerTask}`);
  if (sbatch.mem !== undefined) flags.push(`--mem=${sbatch.mem}`);
  const time =
    sbatch.time ??
    (limits.timeoutMs === undefined ? undefined : defaultTimeMinutes(limits.timeoutMs, limits.killGraceMs));
  if (time !== undefined) flags.push(`--time=${time}`);
  return [...flags, ...sbatch.extra];
}
