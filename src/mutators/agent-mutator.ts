import type { Dirent } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { execa } from "execa";
import picomatch from "picomatch";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import { withMounts } from "../sandbox/research-sandbox.js";
import { wrapCommand } from "../sandbox/wrap-command.js";
import type { Mutator, Proposal, ProposeOptions, Scope } from "../spec/mutator.js";
import { type AgentPresetName, agentPresets } from "./agent-presets.js";
import { collectSecrets, redactSecrets } from "./llm-secrets.js";
import { instructionsSchema, prepareProposalPrompt, readInstructions } from "./prompt-context.js";

const agentMutatorOptionsSchema = z
  .strictObject({
    /** A built-in command line: `claude-code`, `codex` or `aider`. */
    preset: z.enum(["claude-code", "codex", "aider"]).optional(),
    /** A command template instead of a preset, e.g. `["my-agent", "--task", "{prompt}"]`. */
    command: z.array(z.string()).min(1).optional(),
    /** How the prompt reaches a `command`; default: as placed by its placeholders, else on standard input. */
    promptVia: z.enum(["stdin", "argument"]).optional(),
    /** A file such as `program.md` (relative to the researched directory), or the instructions themselves. */
    instructions: instructionsSchema,
    instructionsDirectory: z.string().min(1).optional(),
    /** The agent's model, passed with the preset's model flag (or as `{model}` in a command template). */
    model: z.string().min(1).optional(),
    /** More arguments for a preset, e.g. `["--max-turns", "30"]`. */
    extraArgs: z.array(z.string()).optional(),
    /** Extra environment for the agent, on top of this process's. */
    env: z.record(z.string(), z.string()).optional(),
    /** The agent is stopped (its whole process group) after this long; default 30 minutes. */
    timeoutMs: z.number().int().positive().optional(),
    /** Between SIGTERM and SIGKILL; default 5 s. */
    killGraceMs: z.number().int().nonnegative().optional(),
    /** The mutator's name in records; default `agent:<preset or command>`. */
    name: z.string().min(1).optional(),
    keptDiffs: z.number().int().nonnegative().optional(),
  })
  .refine((options) => (options.preset === undefined) !== (options.command === undefined), {
    message: "expected exactly one of `preset` or `command`",
    path: ["preset"],
  });

/** Options of `createAgentMutator`. */
export type AgentMutatorOptions = z.input<typeof agentMutatorOptionsSchema>;

const descriptionLine = /^[\s>*_`#-]*DESCRIPTION[*_`]*\s*[:：][\s*_`]*(.+?)[\s*_`]*$/gim;
const rationaleLine = /^[\s>*_`#-]*RATIONALE[*_`]*\s*[:：][\s*_`]*(.+?)[\s*_`]*$/gim;

/**
 * Reads the description an agent printed: its last `DESCRIPTION:` line, else the last line of its output.
 * `RATIONALE:` likewise, when present.
 */
export function parseAgentOutput(output: string): { description: string; rationale?: string } {
  const clean = output.replace(/\u001b\[[0-9;]*[A-Za-z]/g, "");
  const described = [...clean.matchAll(descriptionLine)].at(-1)?.[1]?.trim();
  const rationale = [...clean.matchAll(rationaleLine)].at(-1)?.[1]?.trim();
  const last = clean
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .at(-1);
  const description = described || last || "(the agent printed no description)";
  return {
    description: description.length > 300 ? `${description.slice(0, 299)}…` : description,
    ...(rationale ? { rationale } : {}),
  };
}

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

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * A proposer that runs a coding-agent CLI (Claude Code, Codex CLI, aider, or any command) in the trial worktree
 * with the same prompt the LLM proposer gets. The agent edits files; the loop reads what changed from git. The
 * description is the agent's last `DESCRIPTION:` line (it is asked for one), else its last line of output. The
 * agent runs in its own process group, which is killed on timeout or abort.
 */
export function createAgentMutator(options: AgentMutatorOptions): Mutator {
  const parsed = agentMutatorOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const config = parsed.data;
  const preset = config.preset ? agentPresets[config.preset as AgentPresetName] : undefined;
  const template = preset ? [...preset.command] : [...(config.command as string[])];
  if (preset) {
    const added = [...(config.model ? preset.modelArguments(config.model) : []), ...(config.extraArgs ?? [])];
    template.splice(preset.argumentsAt, 0, ...added);
  } else if (config.extraArgs) {
    template.push(...config.extraArgs);
  }
  const placesPrompt = template.some((part) => part.includes("{prompt}") || part.includes("{promptFile}"));
  const viaStdin = config.promptVia === "stdin" || (config.promptVia === undefined && !placesPrompt);
  const program = template[0] as string;
  const timeoutMs = config.timeoutMs ?? 30 * 60_000;
  const killGraceMs = config.killGraceMs ?? 5_000;
  const name = config.name ?? `agent:${config.preset ?? program}`;

  async function propose(request: ProposeOptions): Promise<Proposal> {
    const signal = request.abortSignal;
    signal.throwIfAborted();
    const instructions = await readInstructions(config.instructions, [
      request.directory,
      ...(config.instructionsDirectory ? [config.instructionsDirectory] : []),
    ]);
    const { system, prompt } = await prepareProposalPrompt({
      propose: request,
      instructions,
      finish: "description-line",
      ...(config.keptDiffs === undefined ? {} : { keptDiffs: config.keptDiffs }),
    });
    const text = `${system}\n\n${prompt}\n`;
    const scratch = await mkdtemp(join(tmpdir(), "autoresearch-agent-"));
    const secrets = collectSecrets(Object.values(config.env ?? {}));
    try {
      const promptFile = join(scratch, "prompt.md");
      await writeFile(promptFile, text);
      const files = template.includes("{files}") ? await editableFiles(request.directory, request.scope) : [];
      const argv = template.flatMap((part) =>
        part === "{files}"
          ? files
          : [
              part
                .replaceAll("{promptFile}", promptFile)
                .replaceAll("{tempDirectory}", scratch)
                .replaceAll("{model}", config.model ?? "")
                .replaceAll("{prompt}", text),
            ],
      );
      const started = Date.now();
      const cwd = resolve(request.directory);
      // Sandboxed (when the research is): the agent writes only the trial directory and its scratch folder, and
      // gets only the allowlisted environment plus its own `env`.
      const command =
        request.sandbox === undefined
          ? { file: argv[0] as string, args: argv.slice(1), env: { ...config.env }, extendEnv: true }
          : {
              ...wrapCommand(withMounts(request.sandbox, [{ path: scratch, access: "writable" }]), {
                file: argv[0] as string,
                args: argv.slice(1),
                cwd,
                env: { ...config.env },
              }),
              extendEnv: false,
            };
      const child = execa(command.file, command.args, {
        cwd,
        env: command.env,
        extendEnv: command.extendEnv,
        // Its own process group, so a timeout or abort kills whatever the agent started too.
        detached: true,
        reject: false,
        all: true,
        stripFinalNewline: false,
        ...(viaStdin ? { input: text } : { stdin: "ignore" as const }),
      });
      let timedOut = false;
      let forceTimer: NodeJS.Timeout | undefined;
      const stop = () => {
        if (child.pid === undefined || forceTimer) return;
        const kill = (killSignal: NodeJS.Signals) => {
          try {
            process.kill(-(child.pid as number), killSignal);
          } catch {
            // Already gone.
          }
        };
        kill("SIGTERM");
        forceTimer = setTimeout(() => kill("SIGKILL"), killGraceMs);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, timeoutMs);
      signal.addEventListener("abort", stop, { once: true });
      const result = await child;
      clearTimeout(timer);
      clearTimeout(forceTimer);
      signal.removeEventListener("abort", stop);
      const durationMs = Date.now() - started;
      if (signal.aborted) throw signal.reason;

      const output = typeof result.all === "string" ? result.all : "";
      const stdout = typeof result.stdout === "string" ? result.stdout : "";
      const metadata = { agent: config.preset ?? program, exitCode: result.exitCode ?? null, durationMs };
      const fail = (error: string): Proposal => ({
        type: "failed",
        error: redactSecrets(error, secrets),
        metadata,
      });
      if (timedOut) {
        return fail(
          `The agent \`${program}\` timed out after ${timeoutMs} ms. Its last output:\n${tail(output)}`,
        );
      }
      if ((result as { code?: string }).code === "ENOENT") {
        const hint = preset ? ` Install it with \`${preset.install}\`.` : "";
        return fail(`The agent \`${program}\` was not found on PATH.${hint}`);
      }
      if (result.failed || result.exitCode !== 0) {
        const how = result.signal ? `was ended by ${result.signal}` : `exited with code ${result.exitCode}`;
        return fail(`The agent \`${program}\` ${how}. Its last output:\n${tail(output)}`);
      }
      const { description, rationale } = parseAgentOutput(stdout);
      return {
        type: "edit",
        description: redactSecrets(description, secrets),
        ...(rationale ? { rationale: redactSecrets(rationale, secrets) } : {}),
        metadata,
      };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  return { name, propose };
}
