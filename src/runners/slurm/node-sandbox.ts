import { wrapCommand } from "../../sandbox/wrap-command.js";
import { secretNamePattern } from "../../secrets/secret-values.js";
import type { SandboxPolicy } from "../../spec/sandbox.js";
import type { CommandWrapper } from "./job-script.js";

const exactName = /^[A-Za-z_][A-Za-z0-9_]*$/;
const prefixName = /^[A-Za-z_][A-Za-z0-9_]*\*$/;

/**
 * A bash program that runs `"$@"` with only the allowlisted variables of the job's own environment, the one Slurm
 * set up on the compute node (`CUDA_VISIBLE_DEVICES` for the job's GPUs, `SLURM_*`), never the driver's: the same
 * rule as `buildSandboxEnvironment`, applied where the job runs. Values the research sets come as leading
 * `NAME=value` arguments of `"$@"` and win.
 */
export function nodeEnvironmentFilter(allowlist: readonly string[]): string {
  const exact = allowlist.filter((name) => exactName.test(name));
  const prefixes = allowlist.filter((name) => prefixName.test(name));
  // Bash's regular expressions are POSIX: no non-capturing groups.
  const secret = secretNamePattern.source.replaceAll("(?:", "(");
  return [
    `secret='${secret}'`,
    "keep=()",
    "while IFS= read -r -d '' entry; do",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own parameter expansion
    '  name="${entry%%=*}"',
    `  case "$name" in ${exact.length > 0 ? exact.join("|") : "''"}) keep+=("$entry"); continue ;; esac`,
    "  # A prefix never passes a credential-like name.",
    '  shopt -s nocasematch; [[ "$name" =~ $secret ]]; looks_secret=$?; shopt -u nocasematch',
    "  [ $looks_secret -eq 0 ] && continue",
    `  case "$name" in ${prefixes.length > 0 ? prefixes.join("|") : "''"}) keep+=("$entry") ;; esac`,
    "done < <(env -0)",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's own array expansion
    'exec env -i "${keep[@]}" "$@"',
  ].join("\n");
}

/**
 * Runs the job's command inside the research's sandbox policy (bubblewrap, when the research found it, must be on
 * the compute node too), with the policy's allowlist applied to the job's environment on the node plus the
 * research's own values: nothing of the driver's environment that `sbatch` passed on beyond that.
 */
export function sandboxWrapper(policy: SandboxPolicy): CommandWrapper {
  return (argv, context) => {
    const [file = "", ...args] = argv;
    const wrapped = wrapCommand(policy, {
      file,
      args,
      cwd: context.directory,
      env: { ...context.env },
      inherited: {},
    });
    const explicit = Object.entries(wrapped.env).map(([name, value]) => `${name}=${value}`);
    return [
      "bash",
      "-c",
      nodeEnvironmentFilter([...policy.environment, "SLURM_*"]),
      "autoresearch-sandbox",
      ...explicit,
      wrapped.file,
      ...wrapped.args,
    ];
  };
}
