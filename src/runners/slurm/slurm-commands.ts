import { userInfo } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parseExitCode, parseJobRecord, parseSlurmTime } from "./job-state.js";

/** A job as `squeue` lists it. */
export interface QueueEntry {
  jobId: string;
  name: string;
  state: string;
  reason: string;
  nodes: string;
  workDirectory: string;
}

/** What the scheduler remembers of a job after it ended (from `scontrol`, else from `sacct`). */
export interface JobRecord {
  state: string;
  reason?: string;
  exit: { code: number; signal: number } | undefined;
  nodes?: string;
  submitTime?: number;
  startTime?: number;
  endTime?: number;
}

export type Answer<T> = { ok: true; value: T } | { ok: false; error: string };

/** The Slurm command-line tools, run as child processes. Every failure is an answer, never an exception. */
export interface SlurmCommands {
  /** `sbatch --parsable` with the script on stdin; the job id. */
  submit(script: string, args: readonly string[]): Promise<Answer<string>>;
  /** The listed jobs in any state; jobs the scheduler no longer knows are absent from the map. */
  queue(jobIds: readonly string[]): Promise<Answer<Map<string, QueueEntry>>>;
  /** The current user's jobs that are pending or running. */
  ownJobs(): Promise<Answer<QueueEntry[]>>;
  /** A finished job's record; `undefined` when neither scontrol nor accounting knows it. */
  jobRecord(jobId: string): Promise<JobRecord | undefined>;
  /**
   * `scancel`: Slurm's own cancel (SIGTERM to every process of the job, SIGKILL after the cluster's KillWait).
   * With `signal`, only that signal, to the batch script and every process of the job, which goes on running if
   * it survives it. (Slurm turns a SIGKILL into a cancel, so only a cancel ends a job for sure.)
   */
  cancel(jobIds: readonly string[], signal?: "TERM"): Promise<Answer<void>>;
  version(): Promise<Answer<string>>;
}

// Slurm's commands answer in well under a second; a controller that takes this long is treated as unreachable.
const commandTimeoutMs = 60_000;
const field = "\u001f";

export function createSlurmCommands(options: { binDirectory?: string | undefined }): SlurmCommands {
  const program = (name: string) =>
    options.binDirectory === undefined ? name : join(options.binDirectory, name);

  async function run(name: string, args: readonly string[], input?: string): Promise<Answer<string>> {
    const result = await execa(program(name), args, {
      reject: false,
      timeout: commandTimeoutMs,
      ...(input === undefined ? { stdin: "ignore" as const } : { input }),
      stripFinalNewline: true,
    });
    if (result.failed) {
      const code = (result as { code?: string }).code;
      if (code === "ENOENT") {
        return {
          ok: false,
          error: `\`${program(name)}\` was not found${options.binDirectory === undefined ? " on PATH" : ""}: run on a machine that can submit Slurm jobs (a login node), or set \`binDirectory\``,
        };
      }
      const said = [result.stderr, result.stdout].filter(Boolean).join("\n").trim();
      const why = result.timedOut
        ? `no answer within ${commandTimeoutMs / 1000} s`
        : said || result.shortMessage;
      return { ok: false, error: `\`${name} ${args.join(" ")}\` failed: ${why}` };
    }
    return { ok: true, value: result.stdout };
  }

  const queueFormat = ["%i", "%j", "%T", "%r", "%N", "%Z"].join(field);
  function parseQueue(text: string): QueueEntry[] {
    return text
      .split("\n")
      .filter((line) => line.includes(field))
      .map((line) => {
        const [jobId = "", name = "", state = "", reason = "", nodes = "", workDirectory = ""] =
          line.split(field);
        return { jobId: jobId.trim(), name, state, reason, nodes, workDirectory };
      });
  }

  async function fromScontrol(jobId: string): Promise<JobRecord | undefined> {
    const answer = await run("scontrol", ["show", "job", "-o", jobId]);
    if (!answer.ok) return undefined;
    const line = answer.value.split("\n").find((each) => each.startsWith(`JobId=${jobId} `));
    if (line === undefined) return undefined;
    const record = parseJobRecord(line);
    return {
      state: record.JobState ?? "UNKNOWN",
      ...(record.Reason === undefined ? {} : { reason: record.Reason }),
      exit: parseExitCode(record.ExitCode),
      ...(record.NodeList === undefined ? {} : { nodes: record.NodeList }),
      ...times(record.SubmitTime, record.StartTime, record.EndTime),
    };
  }

  async function fromAccounting(jobId: string): Promise<JobRecord | undefined> {
    const answer = await run("sacct", [
      "--noheader",
      "--parsable2",
      "--allocations",
      `--jobs=${jobId}`,
      "--format=JobID,State,ExitCode,NodeList,Submit,Start,End",
    ]);
    if (!answer.ok) return undefined;
    const line = answer.value.split("\n").find((each) => each.startsWith(`${jobId}|`));
    if (line === undefined) return undefined;
    const [, state = "UNKNOWN", exitCode, nodes, submit, start, end] = line.split("|");
    return {
      state,
      exit: parseExitCode(exitCode),
      ...(nodes === undefined ? {} : { nodes }),
      ...times(submit, start, end),
    };
  }

  return {
    async submit(script, args) {
      const answer = await run("sbatch", ["--parsable", ...args], script);
      if (!answer.ok) return answer;
      // --parsable prints `id` or `id;cluster`.
      const jobId = answer.value.trim().split("\n").at(-1)?.split(";")[0]?.trim() ?? "";
      if (!/^\d+$/.test(jobId)) return { ok: false, error: `sbatch printed no job id: ${answer.value}` };
      return { ok: true, value: jobId };
    },
    async queue(jobIds) {
      if (jobIds.length === 0) return { ok: true, value: new Map() };
      const answer = await run("squeue", [
        "--noheader",
        "--states=all",
        `--jobs=${jobIds.join(",")}`,
        `--format=${queueFormat}`,
      ]);
      // Asked only about jobs it has forgotten, squeue fails; that answer is "none of them".
      if (!answer.ok && /Invalid job id/i.test(answer.error)) return { ok: true, value: new Map() };
      if (!answer.ok) return answer;
      return { ok: true, value: new Map(parseQueue(answer.value).map((entry) => [entry.jobId, entry])) };
    },
    async ownJobs() {
      const answer = await run("squeue", ["--noheader", currentUser(), `--format=${queueFormat}`]);
      if (!answer.ok) return answer;
      return { ok: true, value: parseQueue(answer.value) };
    },
    async jobRecord(jobId) {
      return (await fromScontrol(jobId)) ?? (await fromAccounting(jobId));
    },
    async cancel(jobIds, signal) {
      if (jobIds.length === 0) return { ok: true, value: undefined };
      const flags = signal === undefined ? [] : [`--signal=${signal}`, "--full"];
      const answer = await run("scancel", [...flags, ...jobIds]);
      return answer.ok ? { ok: true, value: undefined } : answer;
    },
    async version() {
      return run("sbatch", ["--version"]);
    },
  };
}

/** `--user=<name>`; `--me` (Slurm 20.11 and later) where this process has no user name (a container's uid). */
function currentUser(): string {
  try {
    return `--user=${userInfo().username}`;
  } catch {
    return "--me";
  }
}

function times(submit?: string, start?: string, end?: string) {
  const submitTime = parseSlurmTime(submit);
  const startTime = parseSlurmTime(start);
  const endTime = parseSlurmTime(end);
  return {
    ...(submitTime === undefined ? {} : { submitTime }),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
  };
}
