import { secretNamePattern } from "../secrets/secret-values.js";

/**
 * The environment a sandboxed command gets: only the driver's variables named in an allowlist, plus the values
 * the research sets explicitly. Everything else the driver holds (API keys, cloud credentials, tokens) stays out.
 */

/** Variables every sandboxed command may inherit: the system's basics, locale, terminal and GPU selection. */
export const baseEnvironmentAllowlist: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "LC_*",
  "TZ",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "LD_LIBRARY_PATH",
  "CUDA_*",
  "NVIDIA_*",
  "NCCL_*",
  "HIP_VISIBLE_DEVICES",
  "ROCR_VISIBLE_DEVICES",
  "GPU_DEVICE_ORDINAL",
  "AUTORESEARCH_*",
];

/** How a program reaches the network: proxies and certificate authorities. */
export const networkEnvironment: readonly string[] = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
];

/**
 * What a coding agent may inherit on top: the proxy and certificate settings of the network it calls its model
 * through. Its provider's key and settings are not inherited here: the agent mutator passes exactly the ones its
 * preset names (and the user's `inheritEnv` and `env`) as explicit values, so an agent for one provider never sees
 * the keys of another. Anything else an agent needs from the driver is named in the sandbox's `agent.env`.
 */
export const agentEnvironmentAllowlist: readonly string[] = networkEnvironment;

/**
 * Whether `name` is one of `allowlist`: an exact name, or a prefix ending in `*`. A prefix never lets through a
 * name that looks like a credential (`NVIDIA_API_KEY` under `NVIDIA_*`, `HF_TOKEN` under `HF_*`): such a variable
 * passes only when it is listed by its exact name.
 */
export function isAllowed(name: string, allowlist: readonly string[]): boolean {
  if (allowlist.includes(name)) return true;
  if (secretNamePattern.test(name)) return false;
  return allowlist.some((entry) => entry.endsWith("*") && name.startsWith(entry.slice(0, -1)));
}

/**
 * The allowlisted part of `inherited` (the driver's environment), then `explicit` on top: values the research,
 * the runner or the mutator set on purpose always pass. `TMPDIR` points at the sandbox's private `/tmp` when
 * `privateTemporary` is set, since a `TMPDIR` elsewhere is read-only there.
 */
export function buildSandboxEnvironment(
  allowlist: readonly string[],
  explicit: Record<string, string>,
  options: { inherited?: NodeJS.ProcessEnv; privateTemporary?: boolean } = {},
): Record<string, string> {
  const inherited = options.inherited ?? process.env;
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && isAllowed(name, allowlist)) environment[name] = value;
  }
  if (options.privateTemporary) environment.TMPDIR = "/tmp";
  return { ...environment, ...explicit };
}
