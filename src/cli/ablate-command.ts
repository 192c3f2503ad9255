import { resolve } from "node:path";
import { findConfigFile, loadConfig } from "../config/load-config.js";
import { resolveConfig } from "../config/resolve-config.js";
import type { CliIo, ParsedArguments } from "./main.js";
import { positiveInteger } from "./main.js";
import { withInterrupts } from "./run-command.js";

/**
 * `autoresearch ablate [tag]`: re-measures the best of a research with each kept change undone, with the
 * config's runner and objective, and prints what each change contributes. `--branch <name>` also writes a branch
 * without the changes whose removal does not hurt.
 */
export async function ablateCommand(tag: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const loaded = await loadConfig(findConfigFile(values.config));
  const options = await resolveConfig(loaded.config, loaded.directory);
  const repeats = positiveInteger(values.repeats, "repeats") ?? 3;
  // Ctrl-C stops the runs in flight (SIGTERM, then SIGKILL after the grace time) and removes the worktree.
  return withInterrupts(
    io,
    values.json ?? false,
    async (interrupts) => {
      const { runAblation } = await import("../ablation/ablate.js");
      const result = await runAblation({
        directory: values.directory === undefined ? loaded.directory : resolve(values.directory),
        tag: tag ?? loaded.config.tag,
        runner: options.runner,
        objective: options.objective,
        repeats,
        protected: loaded.config.scope.protected,
        env: loaded.config.env,
        seedVariable: loaded.config.evaluation.seedVariable,
        ...(values.branch === undefined ? {} : { writeBranch: values.branch }),
        ...(values.json ? {} : { onProgress: (line: string) => io.stderr.write(`ablate: ${line}\n`) }),
        abortSignal: interrupts.signal,
      });
      if (values.json) io.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        const { formatAblation } = await import("../report/ablation-text.js");
        io.stdout.write(`${formatAblation(result)}\n`);
      }
      return 0;
    },
    "stopping the runs in flight",
  );
}
