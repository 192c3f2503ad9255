import { networkEnvironment } from "../sandbox/sandbox-environment.js";

/**
 * The environment a coding agent runs with is built from an allowlist, never copied whole from this process: the
 * agent runs model-written actions, and the driver's environment may hold credentials for everything else the
 * user does. What passes: the basics a program needs to run (paths, locale, home, temporary folder, proxies and
 * certificates), the provider variables its preset names, the names the user lists, and the user's own values.
 */

/** Passed through from this process to every agent when set. A trailing `*` matches a prefix. */
export const agentBaseEnvironment: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "TMPDIR",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_RUNTIME_DIR",
  // Networks that reach providers only through a proxy or with their own certificate authority.
  ...networkEnvironment,
];

function matcher(patterns: readonly string[]): (name: string) => boolean {
  const exact = new Set(patterns.filter((pattern) => !pattern.endsWith("*")));
  const prefixes = patterns.filter((pattern) => pattern.endsWith("*")).map((pattern) => pattern.slice(0, -1));
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

export interface AgentEnvironmentOptions {
  /** The environment to pick from; this process's by default. */
  source?: Readonly<Record<string, string | undefined>>;
  /** Provider variables of the preset (keys, endpoints, model choices). */
  provider?: readonly string[];
  /** More names the user lets through. */
  inherit?: readonly string[];
  /** Values set by the user; they win over everything picked. */
  env?: Readonly<Record<string, string>>;
}

/** The agent's environment: the allowed variables of `source` that are set, then the user's `env` on top. */
export function buildAgentEnvironment(options: AgentEnvironmentOptions = {}): Record<string, string> {
  const source = options.source ?? process.env;
  const allowed = matcher([...agentBaseEnvironment, ...(options.provider ?? []), ...(options.inherit ?? [])]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && allowed(name)) env[name] = value;
  }
  return { ...env, ...options.env };
}
