import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { Runner } from "../spec/runner.js";
import { createCommandRunner } from "./command-runner.js";

const promptfooRunnerOptionsSchema = z.strictObject({
  /**
   * The promptfoo config, relative to the run's directory, or several that promptfoo merges: e.g. the suite in
   * the repository and, from outside it, a file of sealed test cases the proposer cannot read.
   */
  config: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default("promptfooconfig.yaml"),
  /** Where the results go, relative to the run's directory: what `createPromptfooObjective({ file })` reads. */
  output: z.string().min(1).default("results.json"),
  /**
   * How to start promptfoo: an argv prefix. Default: the project's own install (`node_modules/.bin/promptfoo` of
   * the current directory, by its absolute path: the trial worktree has no `node_modules`), else
   * `npx --no-install promptfoo` (a global install).
   */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** More arguments for `promptfoo eval`, e.g. `["--filter-metadata", "split=dev", "--repeat", "3"]`. */
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().positive().optional(),
  killGraceMs: z.number().nonnegative().optional(),
});

/** Options of {@link createPromptfooRunner}. */
export type PromptfooRunnerOptions = z.input<typeof promptfooRunnerOptionsSchema>;

/**
 * Runs `promptfoo eval` as a command runner does (process group, time limit, log): without its cache, table,
 * progress bar or database write, with telemetry and update checks off, writing its results to `output`. The
 * previous run's results file is removed first, so a run that writes none is never measured on stale results.
 */
export function createPromptfooRunner(options: PromptfooRunnerOptions = {}): Runner {
  const parsed = promptfooRunnerOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { config, output, args, env, timeoutMs, killGraceMs } = parsed.data;
  const local = join(process.cwd(), "node_modules", ".bin", "promptfoo");
  const command = parsed.data.command ?? (existsSync(local) ? [local] : ["npx", "--no-install", "promptfoo"]);
  const inner = createCommandRunner({
    command: [
      ...command,
      "eval",
      "-c",
      ...[config].flat(),
      "-o",
      output,
      "--no-cache",
      "--no-table",
      "--no-progress-bar",
      "--no-write",
      ...args,
    ],
    env: { PROMPTFOO_DISABLE_TELEMETRY: "1", PROMPTFOO_DISABLE_UPDATE: "1", ...env },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(killGraceMs === undefined ? {} : { killGraceMs }),
  });
  return {
    name: "promptfoo",
    // The command runner inside confines each run to the research's sandbox, and checks its program.
    appliesSandbox: true,
    ...(inner.preflight === undefined ? {} : { preflight: inner.preflight }),
    async run(runOptions) {
      await rm(resolve(runOptions.directory, output), { force: true });
      return inner.run(runOptions);
    },
  };
}
