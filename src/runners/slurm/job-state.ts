import { constants } from "node:os";
import type { RunFailureKind } from "../../spec/records.js";

/** Job states after which nothing more happens to a job (it is not requeued: the runner submits with --no-requeue). */
const finalStates = new Set([
  "COMPLETED",
  "FAILED",
  "TIMEOUT",
  "OUT_OF_MEMORY",
  "NODE_FAIL",
  "PREEMPTED",
  "CANCELLED",
  "BOOT_FAIL",
  "DEADLINE",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/** States of a job that has not started running yet. */
const waitingStates = new Set([
  "PENDING",
  "CONFIGURING",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESV_DEL_HOLD",
]);

/**
 * Normalizes a state as Slurm prints it: `CANCELLED by 1000` is `CANCELLED`. (States cut short in narrow columns,
 * `OUT_OF_ME+`, never reach here: the runner asks for parsable output.)
 */
export function baseState(state: string): string {
  return state.trim().split(/\s+/)[0]?.toUpperCase() ?? "";
}

export function isFinalState(state: string): boolean {
  return finalStates.has(baseState(state));
}

export function isWaitingState(state: string): boolean {
  return waitingStates.has(baseState(state));
}

/**
 * Parses one line of `scontrol show job -o` (`Key=value` pairs separated by spaces) into a record. A value runs
 * until the next ` Key=`, so values with spaces (paths, names) survive.
 */
export function parseJobRecord(line: string): Record<string, string> {
  const record: Record<string, string> = {};
  const keyPattern = /(?:^|\s)([A-Za-z][A-Za-z0-9_:/.]*)=/g;
  const keys: { name: string; start: number; valueStart: number }[] = [];
  for (const match of line.matchAll(keyPattern)) {
    const name = match[1] as string;
    keys.push({ name, start: match.index, valueStart: match.index + match[0].length });
  }
  keys.forEach((key, index) => {
    const end = keys[index + 1]?.start ?? line.length;
    if (!(key.name in record)) record[key.name] = line.slice(key.valueStart, end).trim();
  });
  return record;
}

/** `ExitCode=3:0` as Slurm writes it: the exit code, then the signal number that ended the job (0 for none). */
export function parseExitCode(text: string | undefined): { code: number; signal: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(text?.trim() ?? "");
  if (match === null) return undefined;
  return { code: Number(match[1]), signal: Number(match[2]) };
}

const signalNames = new Map<number, string>(
  Object.entries(constants.signals).map(([name, number]) => [number as number, name]),
);

export function signalName(signal: number): string {
  return signalNames.get(signal) ?? `signal ${signal}`;
}

/** A Slurm timestamp (`2026-12-02T10:35:43`, the controller's local time) in ms, or undefined. */
export function parseSlurmTime(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text)) return undefined;
  const time = Date.parse(text);
  return Number.isNaN(time) ? undefined : time;
}

export interface JobEndInput {
  jobId: string;
  state: string;
  exit: { code: number; signal: number } | undefined;
  /** Slurm's reason field, e.g. `NonZeroExitCode`, `JobLaunchFailure`. */
  reason?: string | undefined;
  nodes?: string | undefined;
  /** What the job asked for, to name the limit it hit. */
  requested: { time?: string | undefined; mem?: string | undefined };
}

/** How a finished job ended, as a run result's fields. */
export interface JobEnd {
  exitCode: number | null;
  signal: string | null;
  /** The job hit its Slurm time limit. */
  timedOut: boolean;
  failure?: { kind: RunFailureKind; reason: string };
}

/**
 * Turns the scheduler's verdict on a finished job into what the loop records: the exit code and signal of the
 * experiment, and for anything but a clean finish, a reason a person understands and a kind the loop can branch
 * on. A job that did not complete never reports exit code 0, so it cannot pass for a success.
 */
export function describeJobEnd(input: JobEndInput): JobEnd {
  const state = baseState(input.state);
  const nodes = input.nodes && input.nodes !== "(null)" ? input.nodes : undefined;
  const where = nodes === undefined ? "" : ` on ${nodes}`;
  const job = `Slurm job ${input.jobId}`;
  const signal = input.exit !== undefined && input.exit.signal > 0 ? signalName(input.exit.signal) : null;
  const code = signal === null && input.exit !== undefined ? input.exit.code : null;
  const exited =
    signal !== null ? `killed by ${signal}` : code !== null ? `exited with code ${code}` : undefined;
  const ended = (kind: RunFailureKind, reason: string, timedOut = false): JobEnd => ({
    exitCode: code === 0 ? null : code,
    signal,
    timedOut,
    failure: { kind, reason },
  });

  switch (state) {
    case "COMPLETED":
      return { exitCode: code ?? 0, signal, timedOut: false };
    case "FAILED":
      if (exited !== undefined && (code ?? 1) !== 0) {
        return ended("failed", `${exited} (${job} FAILED${where})`);
      }
      return ended(
        "failed",
        `${job} failed${where} before the experiment could report an exit code (Slurm reason: ${input.reason ?? "none"})`,
      );
    case "TIMEOUT": {
      const limit = input.requested.time === undefined ? "" : ` (--time=${input.requested.time})`;
      return ended("time-limit", `${job} reached its Slurm time limit${limit} and was stopped${where}`, true);
    }
    case "OUT_OF_MEMORY": {
      const limit = input.requested.mem === undefined ? "its memory limit" : `--mem=${input.requested.mem}`;
      return ended(
        "out-of-memory",
        `${job} ran out of memory${where}: Slurm stopped it for using more than ${limit}; ask for more with \`sbatch.mem\` or make the experiment use less`,
      );
    }
    case "NODE_FAIL":
    case "BOOT_FAIL":
      return ended(
        "node-failure",
        `the node${nodes === undefined ? "" : ` ${nodes}`} failed during ${job} (Slurm ${state}); the experiment is probably not to blame, so the trial may be worth running again`,
      );
    case "PREEMPTED":
      return ended(
        "preempted",
        `${job} was preempted${where}: the scheduler stopped it to make room for another job; the experiment is not to blame`,
      );
    case "CANCELLED":
      return ended(
        "cancelled",
        `${job} was cancelled outside the research${where} (by \`scancel\`, a user or an administrator)`,
      );
    case "DEADLINE":
      return ended("cancelled", `${job} was not run before its deadline${where}`);
    default:
      return ended(
        "failed",
        `${job} ended in Slurm state ${input.state}${where}${exited ? ` (${exited})` : ""}`,
      );
  }
}
