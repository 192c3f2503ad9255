import { shellQuote } from "../../shell-quote.js";

/**
 * Turns the experiment's argv into the argv that runs on the compute node, e.g. inside a sandbox. The job
 * script runs what it returns, in the run's directory, with the run's environment exported.
 */
export type CommandWrapper = (
  argv: readonly string[],
  context: { directory: string; env: Readonly<Record<string, string>> },
) => string[];

export interface JobScriptOptions {
  /** A shell command line (run by `bash -c`) or an argv array. */
  command: string | readonly string[];
  directory: string;
  /** Exported in the job before the command runs, on top of what `sbatch` passed on. */
  env: Readonly<Record<string, string>>;
  /** A comment line at the top, saying what the job is. */
  description: string;
  wrap?: CommandWrapper | undefined;
}

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The argv the job runs. The one place that decides it, so a wrapper (the research's sandbox) applies to every
 * job the same way.
 */
export function jobArgv(
  command: string | readonly string[],
  context: { directory: string; env: Readonly<Record<string, string>> },
  wrap?: CommandWrapper,
): string[] {
  const argv = typeof command === "string" ? ["bash", "-c", command] : [...command];
  return wrap === undefined ? argv : wrap(argv, context);
}

/**
 * The batch script of one run: exports the run's environment, then replaces itself with the experiment, so
 * that Slurm's signals reach the experiment directly and its exit code is the job's.
 */
export function buildJobScript(options: JobScriptOptions): string {
  const invalid = Object.keys(options.env).filter((name) => !variableName.test(name));
  if (invalid.length > 0) {
    throw new TypeError(
      `Expected environment variable names of letters, digits and _, got ${invalid.map((name) => `\`${name}\``).join(", ")}`,
    );
  }
  const argv = jobArgv(options.command, { directory: options.directory, env: options.env }, options.wrap);
  const exports = Object.entries(options.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
  return [
    "#!/bin/bash",
    `# ${options.description.replaceAll("\n", " ")}`,
    `cd ${shellQuote(options.directory)} || exit 1`,
    ...exports,
    `exec ${argv.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
}
