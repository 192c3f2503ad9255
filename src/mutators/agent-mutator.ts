import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import { findProgram } from "../runners/find-program.js";
import { withMounts } from "../sandbox/research-sandbox.js";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import type { PreflightOptions } from "../spec/preflight.js";
import { buildCommand, sandboxed } from "./agent-command.js";
import { buildAgentEnvironment } from "./agent-environment.js";
import { type AgentReport, createAgentOutputReader } from "./agent-output.js";
import { type AgentPreset, type AgentPresetName, agentPresets } from "./agent-presets.js";
import { type AgentProcessResult, runAgentProcess } from "./agent-process.js";
import { privateAgentState } from "./agent-state.js";
import { type AgentVersionCheck, checkAgentVersion } from "./agent-version.js";
import { collectSecrets, redactDeep, redactSecrets } from "./llm-secrets.js";
import { estimateCost, modelPriceSchema } from "./pricing.js";
import {
  instructionsSchema,
  prepareProposalPrompt,
  promptLimitsSchema,
  readInstructions,
} from "./prompt-context.js";

const agentMutatorOptionsSchema = z
  .strictObject({
    /** A built-in command line: `claude-code`, `codex`, `qwen-code` or `aider`. */
    preset: z.enum(["claude-code", "codex", "qwen-code", "aider"]).optional(),
    /** A command template instead of a preset, e.g. `["my-agent", "--task", "{prompt}"]`. */
    command: z.array(z.string()).min(1).optional(),
    /** How the prompt reaches a `command`; default: as placed by its placeholders, else on standard input. */
    promptVia: z.enum(["stdin", "argument"]).optional(),
    /** How a `command`'s standard output is read; default `text` (presets know their own). */
    output: z.enum(["text", "claude-stream-json", "codex-json", "qwen-stream-json"]).optional(),
    /** A file such as `program.md` (relative to the researched directory), or the instructions themselves. */
    instructions: instructionsSchema,
    instructionsDirectory: z.string().min(1).optional(),
    /** The agent's model, passed with the preset's model flag (or as `{model}` in a command template). */
    model: z.string().min(1).optional(),
    /** The model server a preset uses instead of the agent's default (see docs/llm-proposers.md). */
    baseURL: z.url({ protocol: /^https?$/ }).optional(),
    /** More arguments for a preset, e.g. `["--max-turns", "30"]`. */
    extraArgs: z.array(z.string()).optional(),
    /** Variables set for the agent; they win over everything else. */
    env: z.record(z.string(), z.string()).optional(),
    /** Names of more variables passed through from this process (a trailing `*` matches a prefix). */
    inheritEnv: z.array(z.string().min(1)).optional(),
    /** Retries of a failed model request before the proposal fails; default 2. */
    maxRetries: z.number().int().nonnegative().max(20).optional(),
    /** How long a model server may take to start answering a request; default 30 s. */
    connectTimeoutMs: z.number().int().positive().optional(),
    /** The agent is stopped (its whole process group) after this long; default 30 minutes. */
    timeoutMs: z.number().int().positive().optional(),
    /** Between SIGTERM and SIGKILL; default 5 s. */
    killGraceMs: z.number().int().nonnegative().optional(),
    /** Prices per million tokens by model id, for agents that report tokens but no cost. */
    prices: z.record(z.string(), modelPriceSchema).optional(),
    /** The mutator's name in records; default `agent:<preset or command>`. */
    name: z.string().min(1).optional(),
    keptDiffs: z.number().int().nonnegative().optional(),
    /** Bounds on the prompt's parts, in characters (see `PromptLimits`); the prompt has no other size limit. */
    promptLimits: promptLimitsSchema.optional(),
  })
  .refine((options) => (options.preset === undefined) !== (options.command === undefined), {
    message: "expected exactly one of `preset` or `command`",
    path: ["preset"],
  });

/** Options of `createAgentMutator`. */
export type AgentMutatorOptions = z.input<typeof agentMutatorOptionsSchema>;
export type AgentMutatorConfig = z.output<typeof agentMutatorOptionsSchema>;

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

function tail(text: string, lines = 20): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** What every proposal of one agent mutator uses, worked out from its options once. */
interface AgentSetup {
  config: AgentMutatorConfig;
  preset: AgentPreset | undefined;
  /** The program run: the preset's, or the first word of the command. */
  program: string;
  /** The preset's name, else the program: the `agent` of the metadata. */
  agentName: string;
  timeoutMs: number;
  killGraceMs: number;
  maxRetries: number;
  connectTimeoutMs: number;
  checkVersion: (env: Record<string, string>, cwd: string, signal: AbortSignal) => Promise<AgentVersionCheck>;
}

/** The preset's version check, run once and shared by the proposals (again after a failed one). */
function createVersionCheck(preset: AgentPreset | undefined): AgentSetup["checkVersion"] {
  let versionCheck: Promise<AgentVersionCheck> | undefined;
  return async (env, cwd, signal) => {
    if (!preset) return {};
    versionCheck ??= checkAgentVersion({
      command: { cwd, env },
      program: preset.program,
      minimumVersion: preset.minimumVersion,
      install: preset.install,
      abortSignal: signal,
    }).then((check) => {
      if (check.warning) process.emitWarning(check.warning, { code: "AUTORESEARCH_AGENT_VERSION" });
      return check;
    });
    try {
      return await versionCheck;
    } catch (error) {
      versionCheck = undefined;
      throw error;
    }
  };
}

/** The prompt the agent gets: the LLM proposer's system text and prompt, asking for a `DESCRIPTION:` line. */
async function agentPromptText(config: AgentMutatorConfig, request: ProposeOptions): Promise<string> {
  const instructions = await readInstructions(config.instructions, [
    request.directory,
    ...(config.instructionsDirectory ? [config.instructionsDirectory] : []),
  ]);
  const { system, prompt } = await prepareProposalPrompt({
    propose: request,
    instructions,
    finish: "description-line",
    ...(config.keptDiffs === undefined ? {} : { keptDiffs: config.keptDiffs }),
    ...(config.promptLimits ? { limits: config.promptLimits } : {}),
  });
  return `${system}\n\n${prompt}\n`;
}

/** What one run of the agent left: its process's result, what its output reported, and its version. */
interface AgentRun {
  result: AgentProcessResult;
  report: AgentReport;
  version: AgentVersionCheck;
}

/** Writes the prompt to the scratch folder and runs the agent on the trial directory, sandboxed when it is. */
async function runAgent(
  setup: AgentSetup,
  request: ProposeOptions,
  env: Record<string, string>,
  scratch: { text: string; tempDirectory: string },
): Promise<AgentRun> {
  const { config, preset, connectTimeoutMs } = setup;
  const { text, tempDirectory } = scratch;
  const signal = request.abortSignal;
  const promptFile = join(tempDirectory, "prompt.md");
  await writeFile(promptFile, text);
  const built = await buildCommand(config, env, {
    promptFile,
    tempDirectory,
    sandboxed: request.sandbox !== undefined,
    text,
    directory: request.directory,
    scope: request.scope,
  });
  // Sandboxed when the research is: the agent writes only the trial directory and its scratch folder, which
  // holds a private copy of its state folder.
  const command =
    request.sandbox === undefined
      ? built
      : sandboxed(
          {
            ...built,
            env: { ...built.env, ...(await privateAgentState(preset ?? {}, built.env, tempDirectory)) },
          },
          withMounts(request.sandbox, [{ path: tempDirectory, access: "writable" }]),
        );
  const version = await setup.checkVersion(built.env as Record<string, string>, built.cwd, signal);
  const reader = createAgentOutputReader(preset?.output ?? config.output ?? "text", {
    maxRetries: setup.maxRetries,
  });
  const result = await runAgentProcess(command, {
    abortSignal: signal,
    timeoutMs: setup.timeoutMs,
    killGraceMs: setup.killGraceMs,
    onLine: (line, stream) => (stream === "stdout" ? reader.readLine(line) : undefined),
    ...(preset?.stopWhenSilent
      ? {
          silenceLimit: {
            ms: connectTimeoutMs,
            reason: `it printed nothing for ${connectTimeoutMs / 1000} s: its model server does not answer (unreachable, or slower to start answering than \`connectTimeoutMs\`).`,
          },
        }
      : {}),
  });
  if (signal.aborted) throw signal.reason;
  return { result, report: reader.report(result.stdout), version };
}

/** The proposal a finished run makes: an edit with the agent's description, or why it failed; secrets redacted. */
function agentProposal(setup: AgentSetup, run: AgentRun, secrets: readonly string[]): Proposal {
  const { preset, program } = setup;
  const { result, report, version } = run;
  const accounting = account(setup.config, report);
  const metadata = {
    agent: setup.agentName,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    ...(version.version ? { agentVersion: version.version } : {}),
    ...(version.warning ? { versionWarning: version.warning } : {}),
    ...accounting.metadata,
  };
  const fail = (error: string): Proposal => ({
    type: "failed",
    error: redactSecrets(error, secrets),
    ...accounting.cost,
    metadata: redactDeep(metadata, secrets),
  });
  const output = `Its last output:\n${tail(result.outputTail)}`;
  if (result.startError) {
    if (result.startError.code !== "ENOENT") {
      return fail(`The agent \`${program}\` could not be started: ${result.startError.message}`);
    }
    const hint = preset ? ` Install it with \`${preset.install}\`.` : "";
    return fail(`The agent \`${program}\` was not found on PATH.${hint}`);
  }
  if (result.stoppedBecause) return fail(`The agent \`${program}\` was stopped: ${result.stoppedBecause}`);
  if (result.timedOut)
    return fail(`The agent \`${program}\` timed out after ${setup.timeoutMs} ms. ${output}`);
  if (report.error) return fail(`The agent \`${program}\` failed: ${tail(report.error, 10)}`);
  if (result.exitCode !== 0) {
    const how = result.signal ? `was ended by ${result.signal}` : `exited with code ${result.exitCode}`;
    return fail(`The agent \`${program}\` ${how}. ${output}`);
  }
  const { description, rationale } = parseAgentOutput(report.text);
  return {
    type: "edit",
    description: redactSecrets(description, secrets),
    ...(rationale ? { rationale: redactSecrets(rationale, secrets) } : {}),
    ...accounting.cost,
    metadata: redactDeep(metadata, secrets),
  };
}

/**
 * The usage and cost of a proposal. The cost: from the user's `prices` when they price the model, else the
 * agent's own figure when it reports one, else the built-in price table's estimate.
 */
function account(config: AgentMutatorConfig, report: AgentReport) {
  const model = report.model ?? config.model;
  const estimate =
    report.usage && model
      ? estimateCost({
          modelId: model,
          usage: report.usage,
          ...(config.prices ? { prices: config.prices } : {}),
        })
      : undefined;
  const useAgent = report.costUsd !== undefined && (estimate === undefined || estimate.estimated);
  const costUsd = useAgent ? report.costUsd : estimate?.costUsd;
  return {
    cost: {
      ...(report.usage ? { usage: report.usage } : {}),
      ...(costUsd === undefined ? {} : { costUsd }),
    },
    metadata: {
      ...(model ? { model } : {}),
      ...(useAgent ? { costSource: "agent" } : {}),
      ...(!useAgent && estimate
        ? { costSource: "estimate", priceKey: estimate.priceKey, costEstimated: estimate.estimated }
        : {}),
    },
  };
}

/**
 * A proposer that runs a coding-agent CLI (Claude Code, Codex, Qwen Code, aider, or any command) in the trial
 * worktree with the same prompt the LLM proposer gets. The agent edits files; the loop reads what changed from git.
 * The description is the agent's last `DESCRIPTION:` line (it is asked for one), else its last line of output.
 * The tokens and cost the agent reports are recorded with the proposal. The agent runs with an environment built
 * from an allowlist, in its own process group, which is killed on timeout, abort, or a failure it cannot recover
 * from (a refused key, an unreachable server); nothing it started outlives the proposal.
 */
export function createAgentMutator(options: AgentMutatorOptions): Mutator {
  const parsed = parseOptions(agentMutatorOptionsSchema, options);
  const config = parsed;
  const preset = config.preset ? agentPresets[config.preset as AgentPresetName] : undefined;
  const program = preset?.program ?? (config.command?.[0] as string);
  const setup: AgentSetup = {
    config,
    preset,
    program,
    agentName: config.preset ?? program,
    timeoutMs: config.timeoutMs ?? 30 * 60_000,
    killGraceMs: config.killGraceMs ?? 5_000,
    maxRetries: config.maxRetries ?? 2,
    connectTimeoutMs: config.connectTimeoutMs ?? 30_000,
    checkVersion: createVersionCheck(preset),
  };
  const name = config.name ?? `agent:${setup.agentName}`;

  async function propose(request: ProposeOptions): Promise<Proposal> {
    const signal = request.abortSignal;
    signal.throwIfAborted();
    const text = await agentPromptText(config, request);
    const env = buildAgentEnvironment({
      provider: preset?.providerEnvironment ?? [],
      inherit: config.inheritEnv ?? [],
      env: config.env ?? {},
    });
    // Credentials by name (`*_API_KEY`, `*_TOKEN`, …) among what the agent gets; a version or a path is not one.
    const secrets = collectSecrets([], env);
    const tempDirectory = await mkdtemp(join(tmpdir(), "autoresearch-agent-"));
    try {
      const run = await runAgent(setup, request, env, { text, tempDirectory });
      return agentProposal(setup, run, secrets);
    } finally {
      await rm(tempDirectory, { recursive: true, force: true });
    }
  }

  // The agent's CLI must be installed and the instructions readable before the baseline.
  async function preflight({ directory }: PreflightOptions): Promise<void> {
    await readInstructions(config.instructions, [
      directory,
      ...(config.instructionsDirectory ? [config.instructionsDirectory] : []),
    ]);
    if (findProgram(program, { directory, path: { ...process.env, ...config.env }.PATH }) === undefined) {
      const hint = preset
        ? `install it with \`${preset.install}\``
        : "install it, or give its path in `command`";
      throw new ConfigurationError({
        message: `The agent \`${program}\` was not found on PATH: ${hint}`,
        field: "command",
      });
    }
  }

  return { name, propose, preflight };
}
