import { type AgentCommand, runAgentProcess } from "./agent-process.js";

/** The first `major.minor.patch` in a program's `--version` output (`2.1.332 (Claude Code)`, `codex-cli 0.171.0`). */
export function parseVersion(output: string): string | undefined {
  return /(\d+)\.(\d+)\.(\d+)/.exec(output)?.[0];
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".").map(Number);
  const right = b.split(".").map(Number);
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export interface AgentVersionCheck {
  /** The version the program reported, when it reported one. */
  version?: string;
  /** Why the user should look: the program is older than the preset's minimum, or its version is unknown. */
  warning?: string;
}

/**
 * Runs `<program> --version` (through the same process function as the agent, with the agent's environment) and
 * compares it with the preset's minimum. A missing program is not reported here: the proposal says so.
 */
export async function checkAgentVersion(options: {
  command: Omit<AgentCommand, "argv" | "stdin">;
  program: string;
  minimumVersion: string;
  install: string;
  abortSignal: AbortSignal;
}): Promise<AgentVersionCheck> {
  const { program, minimumVersion } = options;
  const result = await runAgentProcess(
    { ...options.command, argv: [program, "--version"] },
    { abortSignal: options.abortSignal, timeoutMs: 30_000, killGraceMs: 1_000 },
  );
  options.abortSignal.throwIfAborted();
  if (result.startError) return {};
  const version = parseVersion(result.stdout) ?? parseVersion(result.outputTail);
  if (!version) {
    const printed = result.outputTail.trim().split("\n").at(-1) ?? "";
    return {
      warning: `Could not read the version of \`${program}\` (\`${program} --version\` printed \`${printed}\`); the preset needs ${minimumVersion} or newer.`,
    };
  }
  if (compareVersions(version, minimumVersion) >= 0) return { version };
  return {
    version,
    warning: `\`${program}\` is version ${version}, older than ${minimumVersion}, the oldest the preset works with: some of its flags may be refused or ignored. Update it (\`${options.install}\`).`,
  };
}
