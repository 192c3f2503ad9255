/**
 * What every git command of the harness runs with, so that nothing a proposal or an experiment could have
 * planted in the repository's configuration runs as the harness: hooks, an fsmonitor, an ssh or pager command,
 * credential helpers, signing programs. (Filter and diff drivers are named in configuration too, which sandboxed
 * code cannot write; diffs are read with external drivers and text conversion off.)
 */
export const hardenedGitArguments: readonly string[] = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.fsmonitor=false",
  "-c",
  "core.sshCommand=false",
  "-c",
  "core.pager=cat",
  "-c",
  "core.askPass=",
  "-c",
  "credential.helper=",
  "-c",
  "commit.gpgSign=false",
  "-c",
  "tag.gpgSign=false",
  "-c",
  "protocol.allow=never",
];

/** Options of `git diff` that keep configured programs out of it. */
export const plainDiffArguments: readonly string[] = ["--no-ext-diff", "--no-textconv"];

// Identity may come from the environment; every other GIT_ variable would point git somewhere else.
const keptGitVariables = /^GIT_(AUTHOR|COMMITTER)_(NAME|EMAIL|DATE)$/;

/**
 * The environment of the harness's git commands: the driver's own, without the `GIT_` variables that redirect git
 * (`GIT_DIR`, `GIT_INDEX_FILE`, `GIT_CONFIG_*`, `GIT_EXTERNAL_DIFF`, …), never prompting.
 */
export function hardenedGitEnvironment(
  extra: Record<string, string> = {},
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value === undefined) continue;
    if (name.startsWith("GIT_") && !keptGitVariables.test(name)) continue;
    environment[name] = value;
  }
  return { ...environment, GIT_TERMINAL_PROMPT: "0", GIT_PAGER: "cat", ...extra };
}
