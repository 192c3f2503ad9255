import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { shellQuote } from "../shell-quote.js";
import type { GitOptions } from "./git.js";
import { hardenedGitArguments, hardenedGitEnvironment } from "./hardened-git.js";

/**
 * One long-lived bash process that runs the loop's git commands, so each costs a bash fork rather than a Node
 * spawn: starting a process from Node costs about twice a git command itself, and a trial issues eight of them.
 * Commands run one at a time, in order; each one's stdout and stderr end with a random sentinel and its exit code.
 */
export interface GitShell {
  git(
    directory: string,
    args: readonly string[],
    options?: GitOptions,
  ): Promise<{ stdout: string; exitCode: number }>;
  close(): void;
}

interface Pending {
  resolve: (result: { stdout: string; exitCode: number }) => void;
  reject: (error: unknown) => void;
  description: string;
  allowed: readonly number[];
  stdout?: { text: string; exitCode: number };
  stderr?: string;
}

export function createGitShell(): GitShell {
  const token = `__autoresearch_${randomBytes(12).toString("hex")}__`;
  const stdoutEnd = new RegExp(`\\n${token}:(\\d+)\\n`);
  const stderrEnd = `\n${token}\n`;
  let shell: ChildProcessWithoutNullStreams | undefined;
  let failure: Error | undefined;
  const pending: Pending[] = [];
  let stdoutBuffer = "";
  let stderrBuffer = "";
  let stdoutIndex = 0;
  let stderrIndex = 0;

  // The shell keeps the driver alive only while a command is pending, never when idle.
  const hold = (held: boolean) => {
    if (shell === undefined) return;
    for (const handle of [shell, shell.stdin, shell.stdout, shell.stderr]) {
      const referable = handle as unknown as { ref?: () => void; unref?: () => void };
      if (held) referable.ref?.();
      else referable.unref?.();
    }
  };

  const settle = () => {
    while (pending[0]?.stdout !== undefined && pending[0].stderr !== undefined) {
      const done = pending.shift() as Pending;
      stdoutIndex--;
      stderrIndex--;
      const { text, exitCode } = done.stdout as { text: string; exitCode: number };
      if (exitCode !== 0 && !done.allowed.includes(exitCode)) {
        const detail = (done.stderr as string).trim() || text.trim();
        done.reject(new WorkspaceError({ message: `\`${done.description}\` failed: ${detail}` }));
      } else done.resolve({ stdout: text, exitCode });
    }
    if (pending.length === 0) hold(false);
  };

  const fail = (error: Error) => {
    failure = error;
    for (const entry of pending.splice(0)) entry.reject(error);
  };

  const start = (): ChildProcessWithoutNullStreams => {
    const child = spawn("bash", ["--noprofile", "--norc"], {
      stdio: ["pipe", "pipe", "pipe"],
      env: hardenedGitEnvironment({ LC_ALL: "C" }),
      // A session of its own: the user's Ctrl-C goes to the terminal's process group, and must stop the research
      // (which finishes its git work and records the trial), not kill git halfway. It ends when the driver closes
      // its standard input, or with the driver, which closes it by exiting.
      detached: true,
    });
    // Writing to a shell that died is reported by its exit; the pipe's own error must not crash the driver.
    child.stdin.on("error", (error) =>
      fail(new WorkspaceError({ message: `The git shell's input failed: ${error.message}` })),
    );
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdoutBuffer += chunk;
      for (let match = stdoutEnd.exec(stdoutBuffer); match !== null; match = stdoutEnd.exec(stdoutBuffer)) {
        const entry = pending[stdoutIndex++];
        if (entry) entry.stdout = { text: stdoutBuffer.slice(0, match.index), exitCode: Number(match[1]) };
        stdoutBuffer = stdoutBuffer.slice(match.index + match[0].length);
      }
      settle();
    });
    child.stderr.on("data", (chunk: string) => {
      stderrBuffer += chunk;
      for (let end = stderrBuffer.indexOf(stderrEnd); end !== -1; end = stderrBuffer.indexOf(stderrEnd)) {
        const entry = pending[stderrIndex++];
        if (entry) entry.stderr = stderrBuffer.slice(0, end);
        stderrBuffer = stderrBuffer.slice(end + stderrEnd.length);
      }
      settle();
    });
    child.on("error", (error) =>
      fail(new WorkspaceError({ message: `Cannot start bash for git: ${error.message}` })),
    );
    child.on("exit", (code, signal) => {
      shell = undefined;
      if (pending.length > 0) {
        fail(
          new WorkspaceError({ message: `The git shell exited (${signal ?? code}) with commands pending` }),
        );
      }
    });
    return child;
  };

  return {
    git(directory, args, options = {}) {
      if (failure !== undefined) return Promise.reject(failure);
      shell ??= start();
      const assignments = Object.entries(options.env ?? {})
        .map(([name, value]) => `${name}=${shellQuote(value)}`)
        .join(" ");
      const command = `${assignments} git -C ${shellQuote(directory)} ${[...hardenedGitArguments, ...args].map(shellQuote).join(" ")} </dev/null`;
      const line = `${command}; printf '\\n%s:%d\\n' ${token} $?; printf '\\n%s\\n' ${token} >&2\n`;
      return new Promise((resolve, reject) => {
        pending.push({
          resolve,
          reject,
          description: `git ${args.join(" ")}`,
          allowed: options.allowExitCodes ?? [],
        });
        if (pending.length === 1) hold(true);
        (shell as ChildProcessWithoutNullStreams).stdin.write(line);
      });
    },
    close() {
      shell?.stdin.end();
      shell = undefined;
    },
  };
}
