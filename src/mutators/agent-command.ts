import type { Dirent } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { wrapCommand } from "../sandbox/wrap-command.js";
import type { Scope } from "../spec/mutator.js";
import type { AgentMutatorConfig } from "./agent-mutator.js";
import { type AgentPresetName, agentPresets } from "./agent-presets.js";
import type { AgentCommand } from "./agent-process.js";

/**
 * The command line that runs a coding agent for one proposal: from a preset or a command template, with the
 * prompt placed where it asks, and wrapped for the research's sandbox.
 */

/** The editable files of the directory (at most 500, protected ones left out), for `{files}` and presets. */
async function editableFiles(directory: string, scope: Scope): Promise<string[]> {
  const isEditable = picomatch([...scope.editable], { dot: true });
  const isProtected =
    scope.protected.length > 0 ? picomatch([...scope.protected], { dot: true }) : () => false;
  const files: string[] = [];
  const queue = [directory];
  while (queue.length > 0 && files.length < 500) {
    const current = queue.shift() as string;
    let entries: Dirent[];
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name === ".git" || entry.name === "node_modules") continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) queue.push(path);
      else if (entry.isFile()) {
        const name = relative(directory, path).split(sep).join("/");
        if (isEditable(name) && !isProtected(name)) files.push(name);
      }
    }
  }
  return files.sort();
}

/** The agent's command, wrapped for the research's sandbox (the policy's environment only). */
export function sandboxed(command: AgentCommand, policy: Parameters<typeof wrapCommand>[0]): AgentCommand {
  const [file = "", ...args] = command.argv;
  const wrapped = wrapCommand(policy, { file, args, cwd: command.cwd, env: { ...command.env } });
  return {
    argv: [wrapped.file, ...wrapped.args],
    cwd: command.cwd,
    env: wrapped.env,
    ...(command.stdin === undefined ? {} : { stdin: command.stdin }),
  };
}

/** Where one proposal's prompt is, and the directory the agent works in. */
export interface Scratch {
  promptFile: string;
  tempDirectory: string;
  /** Whether the research's sandbox will wrap the command. */
  sandboxed: boolean;
  text: string;
  directory: string;
  scope: Scope;
}

/** The command line of one proposal, from the preset or the template. */
export async function buildCommand(
  config: AgentMutatorConfig,
  env: Record<string, string>,
  scratch: Scratch,
): Promise<AgentCommand> {
  const cwd = resolve(scratch.directory);
  const preset = config.preset ? agentPresets[config.preset as AgentPresetName] : undefined;
  if (preset) {
    const invocation = await preset.invocation({
      model: config.model,
      baseURL: config.baseURL,
      maxRetries: config.maxRetries ?? 2,
      connectTimeoutMs: config.connectTimeoutMs ?? 30_000,
      env,
      promptFile: scratch.promptFile,
      tempDirectory: scratch.tempDirectory,
      sandboxed: scratch.sandboxed,
      editableFiles: () => editableFiles(scratch.directory, scratch.scope),
    });
    return {
      argv: [
        preset.program,
        ...invocation.args,
        ...(config.extraArgs ?? []),
        ...(invocation.trailingArgs ?? []),
      ],
      cwd,
      // The user's own values win over the preset's.
      env: { ...env, ...invocation.env, ...config.env },
      ...(invocation.promptOnStdin ? { stdin: scratch.text } : {}),
    };
  }
  const template = [...(config.command as string[]), ...(config.extraArgs ?? [])];
  const placesPrompt = template.some((part) => part.includes("{prompt}") || part.includes("{promptFile}"));
  const viaStdin = config.promptVia === "stdin" || (config.promptVia === undefined && !placesPrompt);
  const files = template.includes("{files}") ? await editableFiles(scratch.directory, scratch.scope) : [];
  const argv = template.flatMap((part) =>
    part === "{files}"
      ? files
      : [
          part
            .replaceAll("{promptFile}", scratch.promptFile)
            .replaceAll("{tempDirectory}", scratch.tempDirectory)
            .replaceAll("{model}", config.model ?? "")
            .replaceAll("{prompt}", scratch.text),
        ],
  );
  return { argv, cwd, env, ...(viaStdin ? { stdin: scratch.text } : {}) };
}
