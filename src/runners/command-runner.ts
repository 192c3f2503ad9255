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
import type { RunResult } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import { describeMissingProgram, programOfShellCommand } from "./find-program.js";
import { createOutputCapture } from "./output-capture.js";
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
  const runnerEnv = parsed.env ?? {};
  const [file, ...args] = typeof command === "string" ? ["bash", "-c", command] : command;
  const display = typeof command === "string" ? command : command.join(" ");

  return {
    name: "command",
    // The program must exist before the baseline; a command line bash decides itself (a builtin, a compound
    // command, an unknown variable) is left to the run.
    preflight({ directory, checkout, env }) {
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
    },
    appliesSandbox: true,
    async run(runOptions): Promise<RunResult> {
      const { directory, logFile, abortSignal, sandbox } = runOptions;
      await mkdir(dirname(logFile), { recursive: true });
      let callbackError: { error: unknown } | undefined;
      const onLine = runOptions.onLine;
      const capture = createOutputCapture({
        logFile,
        maxLogBytes,
        sources: 2,
        secrets: collectSecrets(runOptions.secrets ?? [], { ...runnerEnv, ...runOptions.env }),
        ...(onLine === undefined
          ? {}
          : {
              onLine(line: string) {
                if (callbackError !== undefined) return;
                try {
                  onLine(line);
                } catch (error) {
                  callbackError = { error };
                  stop("callback");
                }
              },
            }),
      });
      const startedAt = performance.now();
      const result = (fields: Partial<RunResult>): Promise<RunResult> =>
        capture.close().then((summary) => ({
          exitCode: null,
          signal: null,
          durationMs: Math.round(performance.now() - startedAt),
          timedOut: false,
          interrupted: false,
          logFile,
          ...summary,
          ...fields,
        }));

      if (abortSignal.aborted) {
        capture.note("[autoresearch: not started: the research was aborted]");
        return result({ interrupted: true });
      }

      const runId = randomUUID();
      let subprocess: ReturnType<typeof spawn>;
      const env = { ...runnerEnv, ...runOptions.env, [runIdVariable]: runId };
      try {
        if (sandbox === undefined) subprocess = spawn(file ?? "", args, directory, env, true);
        else {
          const wrapped = wrapCommand(sandbox, { file: file ?? "", args, cwd: directory, env });
          subprocess = spawn(wrapped.file, wrapped.args, directory, wrapped.env, false);
        }
      } catch (error) {
        capture.note(`[autoresearch: could not start \`${display}\`: ${String(error)}]`);
        return result({ exitCode: 127 });
      }
      if (subprocess.pid === undefined) {
        const failure = await subprocess;
        const message = failure.originalMessage ?? failure.shortMessage ?? "unknown error";
        capture.note(`[autoresearch: could not start \`${display}\` in ${directory}: ${message}]`);
        return result({ exitCode: 127 });
      }

      const pid = subprocess.pid;
      registerProcessGroup(pid);
      let stopping = false;
      let timedOut = false;
      let interrupted = false;
      let killTimer: NodeJS.Timeout | undefined;
      // In bubblewrap, ending `bwrap` ends its whole PID namespace at once: a SIGTERM meant to let the experiment
      // stop cleanly goes to the processes inside instead.
      const namespaced = sandbox?.isolation === "bubblewrap";
      function signalGroup(signal: NodeJS.Signals): void {
        if (namespaced && signal === "SIGTERM") {
          void signalSandboxMembers(pid, signal);
          return;
        }
        try {
          killProcessGroup(pid, signal);
        } catch {
          // EPERM cannot happen for our own child's group; nothing else is worth failing the run for.
        }
      }
      function stop(reason: "timeout" | "abort" | "callback"): void {
        if (stopping) return;
        stopping = true;
        if (reason === "timeout") {
          timedOut = true;
          capture.note(`[autoresearch: timed out after ${timeoutMs} ms; stopping the process group]`);
        } else if (reason === "abort") {
          interrupted = true;
          capture.note("[autoresearch: the research was aborted; stopping the process group]");
        }
        if (reason === "callback") {
          signalGroup("SIGKILL");
          return;
        }
        signalGroup("SIGTERM");
        killTimer = setTimeout(() => signalGroup("SIGKILL"), killGraceMs);
      }

      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        subprocess.nodeChildProcess.once("exit", (code, signal) => resolve({ code, signal }));
      });
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
      const outputEnded = Promise.all(streams.map((stream) => finished(stream).catch(() => {})));

      try {
        runOptions.onStart?.({ pid });
      } catch (error) {
        callbackError = { error };
        stop("callback");
      }
      const timeoutTimer = timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
      const onAbort = () => stop("abort");
      abortSignal.addEventListener("abort", onAbort, { once: true });
      // onStart may have aborted already, and a listener added after the fact never fires.
      if (abortSignal.aborted) stop("abort");

      const exit = await exited;
      clearTimeout(timeoutTimer);
      abortSignal.removeEventListener("abort", onAbort);
      // Whatever the main process left running in its group (background jobs, workers) ends with it.
      signalGroup("SIGKILL");
      clearTimeout(killTimer);
      await killByEnvironment(runIdVariable, runId);

      if (!(await settlesWithin(outputEnded, pipeGraceMs))) {
        capture.note(
          "[autoresearch: the output was still open after the experiment exited; stopped reading it]",
        );
        for (const stream of streams) stream.destroy();
      }
      await settlesWithin(subprocess, pipeGraceMs);
      releaseProcessGroup(pid);

      const runResult = await result({ exitCode: exit.code, signal: exit.signal, timedOut, interrupted });
      if (callbackError !== undefined) throw callbackError.error;
      return runResult;
    },
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
