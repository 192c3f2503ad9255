import { existsSync } from "node:fs";
import { cp, readdir } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { loadConfig } from "../config/load-config.js";
import { resolveConfig } from "../config/resolve-config.js";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { isTrialCount } from "../loop/stop-conditions.js";
import { findProgram } from "../runners/find-program.js";
import { git } from "../workspace/git.js";
import type { CliIo, ParsedArguments } from "./main.js";
import { positiveInteger } from "./main.js";
import { cliCommand, packageRoot, shellQuote } from "./package-root.js";
import { exitCodeOf, researchWithSignals, runnerTimeoutMs, withInterrupts } from "./run-command.js";

const identity = {
  GIT_AUTHOR_NAME: "autoresearch demo",
  GIT_AUTHOR_EMAIL: "demo@autoresearch.invalid",
  GIT_COMMITTER_NAME: "autoresearch demo",
  GIT_COMMITTER_EMAIL: "demo@autoresearch.invalid",
};

/** Copies the quickstart example, without state or dependencies a checkout of it may hold, into `directory`. */
async function copyExample(source: string, directory: string): Promise<void> {
  await cp(source, directory, {
    recursive: true,
    // Judged on the path inside the example: the package itself lives under a node_modules when installed.
    filter: (file) => {
      const inside = relative(source, file).split(sep);
      return !inside.some((part) => part === ".autoresearch" || part === "node_modules");
    },
  });
  if (!existsSync(join(directory, "autoresearch.config.ts"))) {
    throw new WorkspaceError({
      message: `Copying the example from ${source} to ${directory} left no config file`,
    });
  }
}

/**
 * `autoresearch demo [directory]`: copies the built-in quickstart example into a fresh git repository and runs
 * about ten trials of it. Running it again on the same folder resumes and adds as many trials again.
 */
export async function demoCommand(path: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const json = values.json ?? false;
  return withInterrupts(io, json, async (interrupts) => {
    const directory = resolve(path ?? "autoresearch-demo");
    const source = join(packageRoot(), "examples", "quickstart");
    const configFile = join(directory, "autoresearch.config.ts");
    const trials = positiveInteger(values["max-trials"], "max-trials") ?? 10;
    if (findProgram("git", { directory: process.cwd(), path: process.env.PATH }) === undefined) {
      throw new WorkspaceError({ message: "The demo needs git, which is not on PATH: install git first" });
    }

    if (existsSync(directory) && (await readdir(directory)).length > 0) {
      if (!existsSync(configFile) || !existsSync(join(directory, ".git"))) {
        throw new WorkspaceError({
          message: `${directory} exists and is not an autoresearch demo; give the demo another folder: autoresearch demo <directory>`,
        });
      }
    } else {
      await copyExample(source, directory);
      await git(directory, ["init", "-q", "-b", "main"]);
      await git(directory, ["add", "-A"]);
      await git(directory, ["commit", "-q", "-m", "quickstart example: baseline"], { env: identity });
    }

    const loaded = await loadConfig(configFile);
    const options = await resolveConfig(loaded.config, loaded.directory);
    const existing = await readLedgerFile(
      join(directory, ".autoresearch", loaded.config.tag, "ledger.jsonl"),
    );
    if (!json) {
      io.stdout.write(`autoresearch demo: researching ${directory}\n`);
      io.stdout.write(
        existing.length > 0
          ? `resuming after ${existing.length} recorded trials\n`
          : `running ${trials} trials\n`,
      );
    }
    if (interrupts.stopped) return 130;
    const summary = await researchWithSignals(
      { ...options, stopWhen: [isTrialCount(existing.length + trials)] },
      io,
      json,
      interrupts,
      runnerTimeoutMs(loaded.config.runner),
    );
    if (!json) {
      const shown = shellQuote(relative(process.cwd(), directory) || ".");
      const baseline = summary.baseline?.metric;
      const best = summary.best?.metric;
      const kept = summary.records.filter((record) => record.kind !== "baseline" && record.status === "keep");
      io.stdout.write(`\nThe demo repository is ${directory}\n`);
      if (baseline != null && best != null) {
        const change = ((best - baseline) / Math.abs(baseline)) * 100;
        const { metric } = options.objective;
        io.stdout.write(
          `${metric}: baseline ${baseline.toFixed(4)} -> best ${best.toFixed(4)} (${change >= 0 ? "+" : ""}${change.toFixed(1)}%), ${kept.length} kept of ${summary.records.length} trials, the baseline included\n`,
        );
      }
      io.stdout.write(
        [
          "Look at it:",
          `  git -C ${shown} log --oneline ${summary.branch}        # the kept trials`,
          `  git -C ${shown} show refs/autoresearch/${summary.tag}/trials/2   # any trial, kept or not`,
          `  cat ${shellQuote(join(relative(process.cwd(), directory) || ".", ".autoresearch", summary.tag, "results.tsv"))}`,
          `  ${cliCommand()} report ${summary.tag} --directory ${shown}   # HTML report with the progress chart`,
          "",
        ].join("\n"),
      );
    }
    return exitCodeOf(summary, io);
  });
}
