import { existsSync, readdirSync } from "node:fs";
import { mkdir, readdir, realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { SandboxMount, SandboxPolicy } from "../spec/sandbox.js";
import { type BubblewrapSupport, bubblewrapInstallHint, detectBubblewrap } from "./bubblewrap.js";
import { agentEnvironmentAllowlist, baseEnvironmentAllowlist } from "./sandbox-environment.js";
import type { SandboxSettings } from "./sandbox-options.js";

/** Credentials kept in the home folder; hidden from experiments and agents even though the rest is readable. */
export const hiddenHomePaths: readonly string[] = [
  ".ssh",
  ".aws",
  ".azure",
  ".config/gcloud",
  ".kube",
  ".docker",
  ".gnupg",
  ".password-store",
  ".config/gh",
  ".config/hub",
  ".netrc",
  ".git-credentials",
  ".npmrc",
  ".pypirc",
  ".vault-token",
  ".huggingface",
  ".cache/huggingface/token",
  ".cache/huggingface/stored_tokens",
  ".config/git/credentials",
  ".cargo/credentials",
  ".cargo/credentials.toml",
  ".pgpass",
  ".s3cfg",
  ".boto",
  ".oci",
  ".kaggle",
  ".databrickscfg",
  ".terraform.d/credentials.tfrc.json",
  ".config/rclone",
  ".config/op",
  ".local/share/keyrings",
];

/**
 * The coding agents' own logins: hidden from experiments; an agent reaches its own through the private copy or
 * the writable folder its preset declares.
 */
export const agentLoginPaths: readonly string[] = [
  ".claude/.credentials.json",
  ".codex/auth.json",
  ".qwen/oauth_creds.json",
  ".gemini/oauth_creds.json",
];

/** The accelerator device nodes present on this machine (NVIDIA, AMD, DRM). */
export function gpuDevices(): string[] {
  let entries: string[];
  try {
    entries = readdirSync("/dev");
  } catch {
    return [];
  }
  return entries
    .filter((name) => name.startsWith("nvidia") || name === "dri" || name === "kfd")
    .map((name) => `/dev/${name}`)
    .sort();
}

export interface ResearchSandboxPaths {
  /** The researched directory in the user's checkout: its `.autoresearch/` holds the state of every tag. */
  researchedDirectory: string;
  /**
   * The repository's root in the user's checkout, readable (never writable) by runs: untracked files a run needs
   * (a virtualenv, data) are reached through `AUTORESEARCH_ROOT`, also when the checkout lies under `/tmp`, which
   * the sandbox replaces with a private one.
   */
  repositoryRoot?: string;
  /** The trial worktree's root (its `.git` file points into the shared repository). */
  worktree: string;
  /** The researched directory inside the worktree: the only place experiments and agents may write. */
  trialDirectory: string;
}

/** The policies of one research, and what to tell the user about them. */
export interface ResearchSandbox {
  /** For experiments, without the protected files (see {@link runPolicy}); `undefined` when the sandbox is off. */
  experiment: SandboxPolicy | undefined;
  /** For coding agents. */
  agent: SandboxPolicy | undefined;
  /** One line for the research-start warnings and the report, when the research is not confined. */
  notice: string | undefined;
  /** What confines this research: `bubblewrap <version>`, `unsandboxed: <why>`, or `off`. */
  summary: string;
}

export interface PrepareResearchSandboxOptions {
  /** The runners of the research: a runner that does not apply the policy leaves its runs unconfined. */
  runners: readonly { name: string; appliesSandbox?: boolean }[];
  detect?: () => Promise<BubblewrapSupport>;
  home?: string;
  devices?: readonly string[];
}

function resolvePath(path: string, base: string, home: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}

function unconfinedRunners(runners: PrepareResearchSandboxOptions["runners"]): string[] {
  return runners.filter((runner) => runner.appliesSandbox !== true).map((runner) => runner.name);
}

/**
 * Whether bubblewrap works here; throws the ConfigurationError that says how to get it when the settings require
 * it and it does not (or when a runner would not apply it).
 */
export async function requireSandbox(
  settings: SandboxSettings,
  runners: PrepareResearchSandboxOptions["runners"],
  detect: () => Promise<BubblewrapSupport> = detectBubblewrap,
): Promise<BubblewrapSupport> {
  const support = await detect();
  if (settings.mode !== "required") return support;
  if (!support.available) {
    throw new ConfigurationError({
      field: "sandbox",
      message: `The research requires a sandbox (\`sandbox: "required"\`), but ${support.reason}. To run sandboxed, ${bubblewrapInstallHint}; or set \`sandbox: "auto"\` to run unsandboxed with a warning.`,
    });
  }
  const unconfined = unconfinedRunners(runners);
  if (unconfined.length > 0) {
    throw new ConfigurationError({
      field: "sandbox",
      message: `The research requires a sandbox (\`sandbox: "required"\`), but the runner \`${unconfined.join("`, `")}\` does not apply it (it does not set \`appliesSandbox\`). Use a runner that wraps its command with \`wrapCommand\`.`,
    });
  }
  return support;
}

const isWithin = (path: string, folder: string) => path === folder || path.startsWith(`${folder}/`);

/**
 * The folders that symbolic links at the top of the checkout and of the researched directory point to outside
 * them (a virtualenv, a dataset, a `node_modules` kept elsewhere), mounted read-only: a run reaches them as it
 * does unsandboxed, also when they lie under `/tmp`, which the sandbox replaces with a private one. A link into
 * a hidden folder (`~/.ssh`) stays hidden.
 */
export async function linkedFolders(
  roots: readonly string[],
  hidden: readonly string[],
): Promise<SandboxMount[]> {
  const targets = new Set<string>();
  for (const root of roots) {
    const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isSymbolicLink()) continue;
      const target = await realpath(join(root, entry.name)).catch(() => undefined);
      if (target === undefined || roots.some((other) => isWithin(target, other))) continue;
      if (hidden.some((folder) => isWithin(target, folder))) continue;
      targets.add(target);
    }
  }
  return [...targets].sort().map((path) => ({ path, access: "read-only" }));
}

/**
 * Builds the sandbox policies of a research from its settings: writable, the trial directory (and declared
 * caches); read-only, the rest of the worktree, its `.git` file and everything else; hidden, every tag's state
 * folder and the home folder's credentials. Throws a ConfigurationError when `required` cannot be met.
 */
export async function prepareResearchSandbox(
  settings: SandboxSettings | undefined,
  paths: ResearchSandboxPaths,
  options: PrepareResearchSandboxOptions,
): Promise<ResearchSandbox> {
  if (settings === undefined)
    return { experiment: undefined, agent: undefined, notice: undefined, summary: "off" };
  const support = await requireSandbox(settings, options.runners, options.detect);
  const unconfined = unconfinedRunners(options.runners);
  const home = options.home ?? homedir();
  const base = paths.researchedDirectory;
  const writable = settings.writable.map((path) => resolvePath(path, base, home));
  const agentWritable = settings.agent.writable.map((path) => resolvePath(path, base, home));
  // A missing folder cannot be mounted; a declared cache starts empty.
  for (const path of [...writable, ...agentWritable]) await mkdir(path, { recursive: true });

  const present = (paths: readonly string[]): SandboxMount[] =>
    paths.filter((path) => existsSync(path)).map((path) => ({ path, access: "hidden" }));
  const hidden = present([join(base, ".autoresearch"), ...hiddenHomePaths.map((path) => join(home, path))]);
  const agentLogins = present(agentLoginPaths.map((path) => join(home, path)));
  const trial = trialMounts(paths);
  const linked = await linkedFolders(
    [base, ...(paths.repositoryRoot === undefined ? [] : [paths.repositoryRoot])],
    [...hidden, ...agentLogins].map((mount) => mount.path),
  );
  const checkout: SandboxMount[] =
    paths.repositoryRoot === undefined ? [] : [{ path: paths.repositoryRoot, access: "read-only" }];
  const declared = (list: readonly string[]): SandboxMount[] =>
    list.map((path) => ({ path, access: "writable" }));
  const readOnly: SandboxMount[] = settings.readOnly
    .map((path) => resolvePath(path, base, home))
    .map((path) => ({ path, access: "read-only" }));
  const isolation = support.available ? "bubblewrap" : "none";
  const common = {
    isolation,
    ...(support.available ? { bubblewrap: support.program } : {}),
    ...(support.available && support.disablesUserNamespaces ? { disableUserNamespaces: true } : {}),
    devices: options.devices ?? gpuDevices(),
  } as const;
  const experiment: SandboxPolicy = {
    ...common,
    mounts: [...checkout, ...linked, ...hidden, ...agentLogins, ...readOnly, ...declared(writable), ...trial],
    network: settings.network,
    environment: [...baseEnvironmentAllowlist, ...settings.env],
  };
  const agent: SandboxPolicy = {
    ...common,
    mounts: [
      ...checkout,
      ...linked,
      ...hidden,
      ...readOnly,
      ...declared([...writable, ...agentWritable]),
      ...trial,
    ],
    network: settings.agent.network,
    environment: [
      ...baseEnvironmentAllowlist,
      ...agentEnvironmentAllowlist,
      ...settings.env,
      ...settings.agent.env,
    ],
  };

  let notice: string | undefined;
  if (!support.available) {
    notice = `This research runs UNSANDBOXED: ${support.reason}. Its experiments and agents can change anything you can (the ledger, the branch, your checkout) and outlive their trial; to confine them, ${bubblewrapInstallHint}. Set \`sandbox: "required"\` to refuse to run like this, or \`sandbox: false\` to say it is intended.`;
  } else if (unconfined.length > 0) {
    notice = `The runner \`${unconfined.join("`, `")}\` does not apply the sandbox (it does not set \`appliesSandbox\`): its runs are not confined.`;
  }
  const summary = support.available
    ? unconfined.length > 0
      ? `bubblewrap ${support.version}, not applied by the runner ${unconfined.join(", ")}`
      : `bubblewrap ${support.version}`
    : `unsandboxed: ${support.reason}`;
  return { experiment, agent, notice, summary };
}

/**
 * The mounts of one trial worktree: its researched directory writable, the rest of it and its link to the shared
 * repository read-only (replaced, the link would point the harness's git elsewhere).
 */
export function trialMounts(
  paths: Pick<ResearchSandboxPaths, "worktree" | "trialDirectory">,
): SandboxMount[] {
  return [
    ...(paths.worktree === paths.trialDirectory
      ? []
      : [{ path: paths.worktree, access: "read-only" as const }]),
    { path: paths.trialDirectory, access: "writable" },
    { path: join(paths.worktree, ".git"), access: "read-only" },
  ];
}

/**
 * A research's policy, made for its first worktree, moved to another one (a slot's, or a lane proposing ahead):
 * the first worktree's trial mounts are replaced by the other's.
 */
export function forWorktree(
  policy: SandboxPolicy,
  first: Pick<ResearchSandboxPaths, "worktree" | "trialDirectory">,
  other: Pick<ResearchSandboxPaths, "worktree" | "trialDirectory">,
): SandboxPolicy {
  if (first.worktree === other.worktree) return policy;
  const replaced = new Set(trialMounts(first).map((mount) => `${mount.access}:${mount.path}`));
  return {
    ...policy,
    mounts: [
      ...policy.mounts.filter((mount) => !replaced.has(`${mount.access}:${mount.path}`)),
      ...trialMounts(other),
    ],
  };
}

/** `policy` with more mounts, e.g. a scratch folder an agent writes its history to. */
export function withMounts(policy: SandboxPolicy, mounts: readonly SandboxMount[]): SandboxPolicy {
  return { ...policy, mounts: [...policy.mounts, ...mounts] };
}

/** The experiment policy of one run: the protected files of the trial directory are mounted read-only as well. */
export function runPolicy(base: SandboxPolicy, protectedPaths: readonly string[]): SandboxPolicy {
  return withMounts(
    base,
    protectedPaths.map((path) => ({ path, access: "read-only" })),
  );
}
