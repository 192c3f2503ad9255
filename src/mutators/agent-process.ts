import { randomUUID } from "node:crypto";
import { finished } from "node:stream/promises";
import { execa } from "execa";
import { createLineSplitter } from "../runners/line-splitter.js";
import {
  killByEnvironment,
  killProcessGroup,
  registerProcessGroup,
  releaseProcessGroup,
} from "../runners/process-group.js";
import { settlesWithin } from "../runners/settles-within.js";

/**
 * What is run for a coding agent: the whole description of the process, so that a wrapper (a sandbox) can
 * rewrite it in one place before it starts.
 */
export interface AgentCommand {
  /** The program and its arguments. */
  argv: readonly string[];
  /** The working directory: the trial worktree's researched directory. */
  cwd: string;
  /** The complete environment; nothing else is inherited. */
  env: Readonly<Record<string, string>>;
  /** Written to standard input, which is then closed; without it, standard input is empty. */
  stdin?: string;
}

export interface AgentProcessOptions {
  abortSignal: AbortSignal;
  /** The process group is stopped after this long. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs: number;
  /**
   * Each line of standard output (`stdout`) or error (`stderr`) as it arrives. Returning a string stops the
   * agent at once; the string is the reason.
   */
  onLine?: (line: string, stream: "stdout" | "stderr") => string | undefined;
  /** Stops the agent when its standard output stays silent this long, with this reason. */
  silenceLimit?: { ms: number; reason: string };
}

export interface AgentProcessResult {
  exitCode: number | null;
  signal: string | null;
  /** Standard output, whole up to `maxOutputChars`, else its end. */
  stdout: string;
  /** The end of standard output and error interleaved, for error messages. */
  outputTail: string;
  timedOut: boolean;
  /** Why `onLine` stopped the agent, when it did. */
  stoppedBecause?: string;
  /** The program could not be started: not found, not executable. */
  startError?: { code: string | undefined; message: string };
  durationMs: number;
}

/** Every process the agent starts inherits this variable, unique to the run; see `killByEnvironment`. */
export const agentRunIdVariable = "AUTORESEARCH_AGENT_RUN_ID";

const maxOutputChars = 8 * 1024 * 1024;
const tailChars = 16 * 1024;
// Once the agent has exited and its group is killed, its pipes close at once unless a process outside the group
// still holds them; they are read for at most this long.
const pipeGraceMs = 2000;

function keepEnd(text: string, limit: number): string {
  return text.length > limit ? text.slice(text.length - limit) : text;
}

/**
 * Runs one coding-agent process and waits for it: its own process group (stopped on timeout, abort, or when
 * `onLine` says so: SIGTERM, then SIGKILL after the grace), and once it exits everything it left behind is
 * killed, the group and any process that carries its run id in its environment. Every agent process the
 * harness starts goes through here.
 */
export async function runAgentProcess(
  command: AgentCommand,
  options: AgentProcessOptions,
): Promise<AgentProcessResult> {
  const started = performance.now();
  const [file, ...args] = command.argv;
  const runId = randomUUID();
  const subprocess = execa(file ?? "", args, {
    cwd: command.cwd,
    env: { ...command.env, [agentRunIdVariable]: runId },
    extendEnv: false,
    detached: true,
    ...(command.stdin === undefined ? { stdin: "ignore" as const } : { input: command.stdin }),
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    encoding: "buffer",
    reject: false,
    // Both are handled here, for the whole process group rather than the direct child only.
    cleanup: false,
    forceKillAfterDelay: false,
  });
  const base = { stdout: "", outputTail: "", timedOut: false };
  if (subprocess.pid === undefined) {
    const failure = await subprocess;
    const message = failure.originalMessage ?? failure.shortMessage ?? "unknown error";
    return {
      ...base,
      exitCode: null,
      signal: null,
      startError: { code: (failure as { code?: string }).code, message },
      durationMs: Math.round(performance.now() - started),
    };
  }

  const pid = subprocess.pid;
  registerProcessGroup(pid);
  let stdout = "";
  let outputTail = "";
  let timedOut = false;
  let stoppedBecause: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      killProcessGroup(pid, signal);
    } catch {
      // EPERM cannot happen for our own child's group.
    }
  };
  const stop = () => {
    if (killTimer !== undefined) return;
    signalGroup("SIGTERM");
    killTimer = setTimeout(() => signalGroup("SIGKILL"), options.killGraceMs);
  };
  let silenceTimer: NodeJS.Timeout | undefined;
  const watchSilence = () => {
    const limit = options.silenceLimit;
    if (limit === undefined || stoppedBecause !== undefined) return;
    clearTimeout(silenceTimer);
    silenceTimer = setTimeout(() => {
      stoppedBecause ??= limit.reason;
      stop();
    }, limit.ms);
  };
  watchSilence();

  for (const [stream, name] of [
    [subprocess.stdout, "stdout"],
    [subprocess.stderr, "stderr"],
  ] as const) {
    const splitter = createLineSplitter({
      maxLineBytes: 4 * 1024 * 1024,
      onLine(raw, length) {
        const text = raw.toString("utf8");
        if (name === "stdout") {
          stdout = keepEnd(stdout + text, maxOutputChars);
          watchSilence();
        }
        outputTail = keepEnd(outputTail + text, tailChars);
        if (stoppedBecause !== undefined || options.onLine === undefined) return;
        const reason = options.onLine(raw.toString("utf8", 0, length), name);
        if (reason !== undefined) {
          stoppedBecause = reason;
          stop();
        }
      },
      onLineEnding() {},
    });
    stream.on("data", (chunk: Uint8Array) => splitter.push(chunk));
    stream.on("end", () => splitter.flush());
  }
  const outputEnded = Promise.all(
    [subprocess.stdout, subprocess.stderr].map((stream) => finished(stream).catch(() => {})),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    subprocess.nodeChildProcess.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  options.abortSignal.addEventListener("abort", stop, { once: true });
  if (options.abortSignal.aborted) stop();

  const exit = await exited;
  clearTimeout(timeoutTimer);
  clearTimeout(silenceTimer);
  options.abortSignal.removeEventListener("abort", stop);
  // Whatever the agent left running (language servers, shells, helpers) ends with it.
  signalGroup("SIGKILL");
  clearTimeout(killTimer);
  await killByEnvironment(agentRunIdVariable, runId);
  if (!(await settlesWithin(outputEnded, pipeGraceMs))) {
    subprocess.stdout.destroy();
    subprocess.stderr.destroy();
  }
  await settlesWithin(subprocess, pipeGraceMs);
  releaseProcessGroup(pid);
  return {
    exitCode: exit.code,
    signal: exit.signal,
    stdout,
    outputTail,
    timedOut,
    ...(stoppedBecause === undefined ? {} : { stoppedBecause }),
    durationMs: Math.round(performance.now() - started),
  };
}
