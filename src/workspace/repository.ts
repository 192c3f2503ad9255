import { realpath } from "node:fs/promises";
import { type SimpleGit, simpleGit } from "simple-git";
import { hardenedGitArguments, hardenedGitEnvironment } from "./hardened-git.js";

/**
 * simple-git refuses to pass configuration keys that can run programs, even to switch them off; these are the ones
 * the harness's own hardening sets, to safe values, and nothing else.
 */
const hardeningKeys = {
  allowUnsafeHooksPath: true,
  allowUnsafeFsMonitor: true,
  allowUnsafeSshCommand: true,
  allowUnsafePager: true,
  allowUnsafeAskPass: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeProtocolOverride: true,
} as const;

// Programs git would start for a question the harness never asks (an editor, a prompt); simple-git refuses them.
const unusedPrograms = new Set(["EDITOR", "VISUAL", "SSH_ASKPASS", "PAGER"]);

/** `key=value` pairs of the hardened `-c` arguments, as simple-git's `config` option takes them. */
function hardenedConfig(): string[] {
  return hardenedGitArguments.filter((argument) => argument !== "-c");
}

/**
 * A simple-git client for the harness's one-off questions about a repository (cold paths: opening, cleaning),
 * with the same hardening as every other git command of the harness: no hooks, fsmonitor, pager, ssh or credential
 * programs, and none of the `GIT_` variables that redirect git. The loop's hot path runs git through its own
 * long-lived shell instead (simple-git waits 50 ms after every command that prints nothing).
 */
export function repositoryClient(directory: string): SimpleGit {
  const environment = Object.fromEntries(
    Object.entries(hardenedGitEnvironment()).filter(([name]) => !unusedPrograms.has(name)),
  );
  return simpleGit({
    baseDir: directory,
    config: hardenedConfig(),
    unsafe: hardeningKeys,
    // The GIT_ variables left are the ones the harness's own guard kept (identity, no prompt, no pager).
    allowEnvironment: Object.keys(environment).filter((name) => name.startsWith("GIT_")),
  }).env(environment);
}

/** The root of the git repository that holds `directory` (symbolic links resolved), or undefined outside one. */
export async function repositoryRootOf(directory: string): Promise<string | undefined> {
  const client = repositoryClient(directory);
  if (!(await client.checkIsRepo())) return undefined;
  const top = (await client.revparse(["--show-toplevel"])).trim();
  // Inside a repository's .git folder there is no working tree to research.
  return top === "" ? undefined : await realpath(top);
}
