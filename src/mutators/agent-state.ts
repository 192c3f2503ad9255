import { copyFile, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { AgentPreset } from "./agent-presets.js";

/**
 * Where an agent keeps its configuration and writes its state (sessions, logs, caches), and which of its files it
 * needs to start: its settings and its login.
 */
export interface AgentStateFolder {
  /** The variable that moves the folder, e.g. `CODEX_HOME`. */
  variable: string;
  /** The folder under the home folder when the variable is not set, e.g. `.codex`. */
  directory: string;
  /** Files copied into the private folder when they exist. */
  files: readonly string[];
}

/**
 * Gives a sandboxed agent a private, writable copy of its state folder in the proposal's scratch folder: its
 * settings and login copied from the user's folder (or from the one the variable names), everything it writes
 * there dropped with the scratch folder. In the sandbox the home folder is read-only, and an agent that may not
 * write its own folder refuses to start; writing the user's real one would let a proposal leave a configuration
 * behind (an MCP server, a hook) that runs the next time the user starts the agent. Returns the variables to set.
 */
export async function privateAgentState(
  preset: Pick<AgentPreset, "state">,
  env: Readonly<Record<string, string | undefined>>,
  tempDirectory: string,
): Promise<Record<string, string>> {
  const state = preset.state;
  if (state === undefined) return {};
  const source = env[state.variable] ?? join(env.HOME ?? homedir(), state.directory);
  const target = join(tempDirectory, "agent-state");
  await mkdir(target, { recursive: true });
  for (const file of state.files) {
    await copyFile(join(source, file), join(target, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }
  return { [state.variable]: target };
}
