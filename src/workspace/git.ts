import { execa } from "execa";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { hardenedGitArguments, hardenedGitEnvironment } from "./hardened-git.js";

export interface GitOptions {
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (e.g. 1 for `merge-base --is-ancestor`). */
  allowExitCodes?: readonly number[];
  /** Standard input for the command (`update-ref --stdin`); none by default. */
  input?: string;
}

/**
 * Runs git through execa, hardened (no hooks, no fsmonitor, no redirecting GIT_ variables). The loop's hot path
 * uses this rather than simple-git, which waits 50 ms after every command that prints nothing; that wait alone
 * would dominate the loop's own overhead.
 */
export async function git(directory: string, args: readonly string[], options: GitOptions = {}) {
  const result = await execa("git", [...hardenedGitArguments, ...args], {
    cwd: directory,
    reject: false,
    ...(options.input === undefined ? { stdin: "ignore" as const } : { input: options.input }),
    env: hardenedGitEnvironment(options.env),
    extendEnv: false,
    maxBuffer: 256 * 1024 * 1024,
    // Out of the terminal's process group: the user's Ctrl-C stops the research, which lets git finish.
    detached: true,
  });
  const allowed = options.allowExitCodes ?? [];
  if (result.exitCode !== 0 && !allowed.includes(result.exitCode ?? -1)) {
    const detail = String(result.stderr || result.stdout || (result.message ?? "")).trim();
    throw new WorkspaceError({ message: `\`git ${args.join(" ")}\` failed in ${directory}: ${detail}` });
  }
  return { stdout: result.stdout, exitCode: result.exitCode ?? -1 };
}

/** stdout of a git command that must succeed. */
export async function gitOutput(directory: string, args: readonly string[], options: GitOptions = {}) {
  return (await git(directory, args, options)).stdout;
}
