import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { finished } from "node:stream/promises";
import { execa } from "execa";
import { z } from "zod";
import { parseOptions } from "../errors/format-zod-error.js";
import { signalSandboxMembers } from "../sandbox/sandbox-processes.js";
import { wrapCommand } from "../sandbox/wrap-command.js";
import { collectSecrets } from "../secrets/secret-values.js";
import type { PreflightOptions } from "../spec/preflight.js";
import type { RunResult } from "../spec/records.js";
import type { Runner, RunOptions } from "../spec/runner.js";
import { describeMissingProgram, programOfShellCommand } from "./find-program.js";
import { createOutputCapture, type OutputCapture } from "./output-capture.js";
import {
  killByEnvironment,
  killProcessGroup,
  registerProcessGroup,
  releaseProcessGroup,
} from "./process-group.js";
import { settlesWithin } from "./settles-within.js";

// setTimeout fires at once for delays past 2^31 - 1 ms (about 24.8 days), so longer ones are refused.
export const maxTimerMs = 2_147_483_647;

/** An experiment's command: a shell command line (run by `bash -c`) or an argv array. */
export const commandSchema = z.union([
  z.string().trim().min(1, "a non-empty shell command"),
  z
    .array(z.string())
    .min(1, "a non-empty argv array")
    .refine((argv) => argv[0] !== "", "argv[0] to be a program"),
]);

const commandRunnerOptionsSchema = z.strictObject({
  command: commandSchema,
  env: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.number().positive().max(maxTimerMs).optional(),
  killGraceMs: z.number().nonnegative().max(maxTimerMs).default(5000),
  maxLogBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024 * 1024),
});

/** Options of {@link createCommandRunner}. */
export type CommandRunnerOptions = z.input<typeof commandRunnerOptionsSchema>;

/**
 * Every process the experiment starts inherits this variable, set to a value unique to the run. Processes that
 * left the process group (`setsid`, daemons) are found by it on Linux and killed with the rest.
 */
export const runIdVariable = "AUTORESEARCH_RUN_ID";

// After the experiment's main process exits and its group is killed, its pipes close at once unless a process
// outside the group still holds them; the output is read for at most this long before it is cut off.
const pipeGraceMs = 2000;

/** The parsed options, with the command split into the program and its arguments. */
interface CommandConfig {
  command: string | string[];
  file: string | undefined;
  args: string[];
  /** The command as one line, for messages. */
  display: string;
  runnerEnv: Record<string, string>;
  timeoutMs: number | undefined;
  killGraceMs: number;
  maxLogBytes: number;
}

/** One run's state, shared by the helpers of its phases. */
interface RunState {
  readonly config: CommandConfig;
  readonly logFile: string;
  readonly capture: OutputCapture;
  readonly startedAt: number;
  /** What `onLine` or `onStart` threw: the run is stopped and this is rethrown once it is over. */
  callbackError: { error: unknown } | undefined;
  /** The process group's leader, once started. */
  pid: number | undefined;
  // In bubblewrap, ending `bwrap` ends its whole PID namespace at once: a SIGTERM meant to let the experiment
  // stop cleanly goes to the processes inside instead.
  namespaced: boolean;
  stopping: boolean;
  timedOut: boolean;
  interrupted: boolean;
  killTimer: NodeJS.Timeout | undefined;
}

type Subprocess = ReturnType<typeof spawn>;

/** The process's output streams, and when they have all ended. */
interface RunOutput {
  streams: NonNullable<Subprocess["stdout"]>[];
  ended: Promise<unknown>;
}

/** Throws when the program does not exist; a command line bash decides itself is left to the run. */
function preflightCommand(config: CommandConfig, { directory, checkout, env }: PreflightOptions): void {
  const { command, runnerEnv, display } = config;
  const environment = { ...process.env, ...runnerEnv, ...env };
  const program = typeof command === "string" ? programOfShellCommand(command, environment) : command[0];
  if (program === undefined) return;
  const problem = describeMissingProgram(program, {
    directory,
    checkout,
    path: environment.PATH,
    purpose: `The command \`${display}\``,
  });
  if (problem !== undefined) throw new Error(problem);
}

/** The run's state with its output capture; an `onLine` that throws stops the run. */
function openRun(config: CommandConfig, runOptions: RunOptions): RunState {
  const { onLine } = runOptions;
  const state: RunState = {
    config,
    logFile: runOptions.logFile,
    capture: createOutputCapture({
      logFile: runOptions.logFile,
      maxLogBytes: config.maxLogBytes,
      sources: 2,
      secrets: collectSecrets(runOptions.secrets ?? [], { ...config.runnerEnv, ...runOptions.env }),
      ...(onLine === undefined
        ? {}
        : {
            onLine(line: string) {
              if (state.callbackError !== undefined) return;
              try {
                onLine(line);
              } catch (error) {
                state.callbackError = { error };
                stop(state, "callback");
              }
            },
          }),
    }),
    startedAt: performance.now(),
    callbackError: undefined,
    pid: undefined,
    namespaced: runOptions.sandbox?.isolation === "bubblewrap",
    stopping: false,
    timedOut: false,
    interrupted: false,
    killTimer: undefined,
  };
  return state;
}

/** Closes the log and makes the run's result from its output and `fields`. */
function result(state: RunState, fields: Partial<RunResult>): Promise<RunResult> {
  return state.capture.close().then((summary) => ({
    exitCode: null,
    signal: null,
    durationMs: Math.round(performance.now() - state.startedAt),
    timedOut: false,
    interrupted: false,
    logFile: state.logFile,
    ...summary,
    ...fields,
  }));
}

/**
 * Starts the command (inside the sandbox, if any): the process, or the result of a run that could not start. The
 * process comes wrapped: it is a promise of its own end, which an async function would wait for.
 */
async function startProcess(
  state: RunState,
  runOptions: RunOptions,
  runId: string,
): Promise<{ subprocess: Subprocess } | { failed: RunResult }> {
  const { file, args, display, runnerEnv } = state.config;
  const { directory, sandbox } = runOptions;
  let subprocess: Subprocess;
  const env = { ...runnerEnv, ...runOptions.env, [runIdVariable]: runId };
  try {
    if (sandbox === undefined) subprocess = spawn(file ?? "", args, directory, env, true);
    else {
      const wrapped = wrapCommand(sandbox, { file: file ?? "", args, cwd: directory, env });
      subprocess = spawn(wrapped.file, wrapped.args, directory, wrapped.env, false);
    }
  } catch (error) {
    state.capture.note(`[autoresearch: could not start \`${display}\`: ${String(error)}]`);
    return { failed: await result(state, { exitCode: 127 }) };
  }
  if (subprocess.pid === undefined) {
    const failure = await subprocess;
    const message = failure.originalMessage ?? failure.shortMessage ?? "unknown error";
    state.capture.note(`[autoresearch: could not start \`${display}\` in ${directory}: ${message}]`);
    return { failed: await result(state, { exitCode: 127 }) };
  }
  return { subprocess };
}

/** Sends `signal` to the run's process group (SIGTERM to the sandbox's members when it is namespaced). */
function signalGroup(state: RunState, signal: NodeJS.Signals): void {
  const pid = state.pid as number;
  if (state.namespaced && signal === "SIGTERM") {
    void signalSandboxMembers(pid, signal);
    return;
  }
  try {
    killProcessGroup(pid, signal);
  } catch {
    // EPERM cannot happen for our own child's group; nothing else is worth failing the run for.
  }
}

/** Stops the run once: SIGTERM then SIGKILL after the grace period, or SIGKILL at once for a failed callback. */
function stop(state: RunState, reason: "timeout" | "abort" | "callback"): void {
  if (state.stopping) return;
  state.stopping = true;
  if (reason === "timeout") {
    state.timedOut = true;
    state.capture.note(
      `[autoresearch: timed out after ${state.config.timeoutMs} ms; stopping the process group]`,
    );
  } else if (reason === "abort") {
    state.interrupted = true;
    state.capture.note("[autoresearch: the research was aborted; stopping the process group]");
  }
  if (reason === "callback") {
    signalGroup(state, "SIGKILL");
    return;
  }
  signalGroup(state, "SIGTERM");
  state.killTimer = setTimeout(() => signalGroup(state, "SIGKILL"), state.config.killGraceMs);
}

/** Feeds stdout and stderr to the capture, pausing them while the log file catches up. */
function readOutput(state: RunState, subprocess: Subprocess): RunOutput {
  const { capture } = state;
  const streams = [subprocess.stdout, subprocess.stderr].filter((stream) => stream !== null);
  let paused = false;
  for (const [index, stream] of streams.entries()) {
    stream.on("data", (chunk: Uint8Array) => {
      if (capture.push(index, chunk) || paused) return;
      // The log file is behind: stop reading so that the pipe, not our memory, holds the backlog.
      paused = true;
      for (const each of streams) each.pause();
      void capture.drained().then(() => {
        paused = false;
        for (const each of streams) each.resume();
      });
    });
  }
  return { streams, ended: Promise.all(streams.map((stream) => finished(stream).catch(() => {}))) };
}

/** Calls `onStart`, arms the time limit and listens for the abort; returns what undoes the last two. */
function watchRun(state: RunState, runOptions: RunOptions): () => void {
  const { abortSignal } = runOptions;
  const { timeoutMs } = state.config;
  try {
    runOptions.onStart?.({ pid: state.pid as number });
  } catch (error) {
    state.callbackError = { error };
    stop(state, "callback");
  }
  const timeoutTimer =
    timeoutMs === undefined ? undefined : setTimeout(() => stop(state, "timeout"), timeoutMs);
  const onAbort = () => stop(state, "abort");
  abortSignal.addEventListener("abort", onAbort, { once: true });
  // onStart may have aborted already, and a listener added after the fact never fires.
  if (abortSignal.aborted) stop(state, "abort");
  return () => {
    clearTimeout(timeoutTimer);
    abortSignal.removeEventListener("abort", onAbort);
  };
}

/** After the main process exited: kills what it left running and stops reading output that stays open. */
async function cleanUp(
  state: RunState,
  subprocess: Subprocess,
  output: RunOutput,
  runId: string,
): Promise<void> {
  // Whatever the main process left running in its group (background jobs, workers) ends with it.
  signalGroup(state, "SIGKILL");
  clearTimeout(state.killTimer);
  await killByEnvironment(runIdVariable, runId);

  if (!(await settlesWithin(output.ended, pipeGraceMs))) {
    state.capture.note(
      "[autoresearch: the output was still open after the experiment exited; stopped reading it]",
    );
    for (const stream of output.streams) stream.destroy();
  }
  await settlesWithin(subprocess, pipeGraceMs);
  releaseProcessGroup(state.pid as number);
}

/** One run of the command, from the log's folder to the result; a callback's error is rethrown at the end. */
async function runCommand(config: CommandConfig, runOptions: RunOptions): Promise<RunResult> {
  await mkdir(dirname(runOptions.logFile), { recursive: true });
  const state = openRun(config, runOptions);
  if (runOptions.abortSignal.aborted) {
    state.capture.note("[autoresearch: not started: the research was aborted]");
    return result(state, { interrupted: true });
  }

  const runId = randomUUID();
  const started = await startProcess(state, runOptions, runId);
  if ("failed" in started) return started.failed;
  const { subprocess } = started;
  const pid = subprocess.pid as number;
  state.pid = pid;
  registerProcessGroup(pid);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    subprocess.nodeChildProcess.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const output = readOutput(state, subprocess);
  const unwatch = watchRun(state, runOptions);

  const exit = await exited;
  unwatch();
  await cleanUp(state, subprocess, output, runId);

  const { timedOut, interrupted } = state;
  const runResult = await result(state, { exitCode: exit.code, signal: exit.signal, timedOut, interrupted });
  if (state.callbackError !== undefined) throw state.callbackError.error;
  return runResult;
}

/**
 * The built-in runner: runs a local command in the experiment directory, in its own process group, with a
 * time limit. `command` as a string runs through `bash -c`; as an array it is the argv. Output (stdout and
 * stderr) goes to the run's log file, capped at `maxLogBytes` (the head and the tail are kept), with secrets
 * replaced; complete lines go to `onLine` as they arrive. When the main process exits, every process left in its
 * group is killed, so nothing outlives the trial. With a sandbox policy (`RunOptions.sandbox`) the command runs
 * inside it, with the policy's environment only.
 */
export function createCommandRunner(options: CommandRunnerOptions): Runner {
  const parsed = parseOptions(commandRunnerOptionsSchema, options);
  const { command, timeoutMs, killGraceMs, maxLogBytes } = parsed;
  const [file, ...args] = typeof command === "string" ? ["bash", "-c", command] : command;
  const config: CommandConfig = {
    command,
    file,
    args,
    display: typeof command === "string" ? command : command.join(" "),
    runnerEnv: parsed.env ?? {},
    timeoutMs,
    killGraceMs,
    maxLogBytes,
  };

  return {
    name: "command",
    // The program must exist before the baseline; a command line bash decides itself (a builtin, a compound
    // command, an unknown variable) is left to the run.
    preflight: (preflightOptions) => preflightCommand(config, preflightOptions),
    appliesSandbox: true,
    run: (runOptions) => runCommand(config, runOptions),
  };
}

function spawn(
  file: string,
  args: string[],
  directory: string,
  env: Record<string, string>,
  extendEnv: boolean,
) {
  return execa(file, args, {
    cwd: directory,
    env,
    extendEnv,
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    encoding: "buffer",
    reject: false,
    // Both are handled here, for the whole process group rather than the direct child only.
    cleanup: false,
    forceKillAfterDelay: false,
  });
}
