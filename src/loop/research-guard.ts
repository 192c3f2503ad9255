import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  forWorktree,
  prepareResearchSandbox,
  type ResearchSandbox,
  requireSandbox,
  runPolicy,
} from "../sandbox/research-sandbox.js";
import { type SandboxSettings, sandboxSettings } from "../sandbox/sandbox-options.js";
import { collectSecrets, redactDeep, redactValues } from "../secrets/secret-values.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import type { Workspace, Worktree } from "../workspace/workspace.js";
import type { NormalizedResearchOptions } from "./research-options.js";

/**
 * Every experiment's environment carries this research's token, so that a restarted driver finds (and kills)
 * what a dead one left running. It is opaque: unlike a path, it tells the experiment nothing about where the
 * state is.
 */
export const researchTokenVariable = "AUTORESEARCH_RESEARCH_ID";

// bubblewrap's time grows with the square of its mounts: about 0.3 s for 200, 20 s for 2000.
const manyMounts = 200;

/** What the loop needs to keep a research's runs confined and its records free of secrets. */
export interface ResearchGuard {
  /** The research's opaque token, carried by every experiment's environment. */
  readonly token: string;
  /** For the runs' environment. */
  readonly environment: Record<string, string>;
  readonly sandbox: ResearchSandbox;
  /** Lines for the research-start warnings: said once per research. */
  readonly warnings: readonly string[];
  /** Values redacted from everything the research records, shows or sends. */
  readonly secrets: readonly string[];
  /**
   * The policy of the next experiment run in `worktree`: writable its researched directory, protected files as they
   * are now read-only.
   */
  runPolicy(worktree: Worktree): SandboxPolicy | undefined;
  /** The policy of the next coding agent in `worktree`: the same protected files read-only, the network on. */
  agentPolicy(worktree: Worktree): SandboxPolicy | undefined;
  /** A copy of a record, an event or a run result with every secret replaced. */
  redact<T>(value: T): T;
  /** One line of output or a diff, secrets replaced (values only: cheap enough for every line). */
  redactText(text: string): string;
}

async function researchToken(stateDirectory: string): Promise<string> {
  const file = join(stateDirectory, "research-id");
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (/^[0-9a-f]{32}$/.test(existing)) return existing;
  const token = randomBytes(16).toString("hex");
  await writeFile(file, `${token}\n`);
  return token;
}

/** The sandbox settings of a research, checked before anything is created: `required` without bubblewrap throws. */
export async function researchSandboxSettings(
  options: NormalizedResearchOptions,
): Promise<SandboxSettings | undefined> {
  const settings = sandboxSettings(options.sandbox);
  if (settings !== undefined) await requireSandbox(settings, researchRunners(options));
  return settings;
}

function researchRunners(options: NormalizedResearchOptions) {
  return [options.runner, ...(options.holdout === undefined ? [] : [options.holdout.runner])].map(
    (runner) => ({
      name: runner.name,
      ...(runner.appliesSandbox === undefined ? {} : { appliesSandbox: runner.appliesSandbox }),
    }),
  );
}

/**
 * Opens the guard of a research: reads (or makes) the research's token, by which the recovery finds what a dead
 * driver left running, builds the sandbox policies, and collects the secrets to redact: the user's list, the
 * research's environment and the driver's own credentials.
 */
export async function openResearchGuard(
  options: NormalizedResearchOptions,
  settings: SandboxSettings | undefined,
  workspace: Workspace,
): Promise<ResearchGuard> {
  const token = await researchToken(workspace.stateDirectory);
  const first = await workspace.worktree("trial");
  const firstPaths = { worktree: first.root, trialDirectory: first.directory };
  const sandbox = await prepareResearchSandbox(
    settings,
    { researchedDirectory: workspace.directory, repositoryRoot: workspace.repositoryRoot, ...firstPaths },
    { runners: researchRunners(options) },
  );
  const at = (policy: SandboxPolicy, worktree: Worktree) =>
    runPolicy(
      forWorktree(policy, firstPaths, { worktree: worktree.root, trialDirectory: worktree.directory }),
      worktree.protectedPaths(),
    );
  const secrets = collectSecrets(options.secrets, { ...process.env, ...options.env });
  const warnings = sandbox.notice === undefined ? [] : [sandbox.notice];
  const mounts = workspace.protectedPaths().length;
  if (sandbox.experiment?.isolation === "bubblewrap" && mounts > manyMounts) {
    warnings.push(
      `${mounts} protected paths are mounted read-only one by one for every run, which slows each start of the sandbox; protect whole folders (\`data/**\`) where you can.`,
    );
  }
  return {
    token,
    environment: { [researchTokenVariable]: token },
    sandbox,
    warnings,
    secrets,
    runPolicy: (worktree) =>
      sandbox.experiment === undefined ? undefined : at(sandbox.experiment, worktree),
    agentPolicy: (worktree) => (sandbox.agent === undefined ? undefined : at(sandbox.agent, worktree)),
    redact: (value) => (secrets.length === 0 ? value : redactDeep(value, secrets)),
    redactText: (text) => (secrets.length === 0 ? text : redactValues(text, secrets)),
  };
}
