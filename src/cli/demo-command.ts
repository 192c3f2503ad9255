import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, readdir } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { loadConfig } from "../config/load-config.js";
import { resolveConfig } from "../config/resolve-config.js";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { isTrialCount } from "../loop/stop-conditions.js";
import type { CliIo, ParsedArguments } from "./main.js";
import { positiveInteger } from "./main.js";
import { cliCommand, packageRoot } from "./package-root.js";
import { exitCodeOf, researchWithSignals } from "./run-command.js";

const identity = {
  GIT_AUTHOR_NAME: "autoresearch demo",
  GIT_AUTHOR_EMAIL: "demo@autoresearch.invalid",
  GIT_COMMITTER_NAME: "autoresearch demo",
  GIT_COMMITTER_EMAIL: "demo@autoresearch.invalid",
};

/** A path as a person would type it into a shell. */
function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

function git(directory: string, ...args: string[]): void {
  execFileSync("git", args, { cwd: directory, env: { ...process.env, ...identity }, stdio: "ignore" });
}

/**
 * `autoresearch demo [directory]`: copies the built-in quickstart example into a fresh git repository and runs
 * about ten trials of it. Running it again on the same folder resumes and adds as many trials again.
 */
export async function demoCommand(path: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const directory = resolve(path ?? "autoresearch-demo");
  const source = join(packageRoot(), "examples", "quickstart");
  const configFile = join(directory, "autoresearch.config.ts");
  const trials = positiveInteger(values["max-trials"], "max-trials") ?? 10;

  if (existsSync(directory) && (await readdir(directory)).length > 0) {
    if (!existsSync(configFile) || !existsSync(join(directory, ".git"))) {
      throw new WorkspaceError({
        message: `${directory} exists and is not an autoresearch demo; give the demo another folder: autoresearch demo <directory>`,
      });
    }
  } else {
    await cp(source, directory, {
      recursive: true,
      filter: (file) => !/[\\/](\.autoresearch|node_modules)([\\/]|$)/.test(file),
    });
    git(directory, "init", "-q", "-b", "main");
    git(directory, "add", "-A");
    git(directory, "commit", "-q", "-m", "quickstart example: baseline");
  }

  const loaded = await loadConfig(configFile);
  const options = await resolveConfig(loaded.config, loaded.directory);
  const existing = await readLedgerFile(join(directory, ".autoresearch", loaded.config.tag, "ledger.jsonl"));
  const json = values.json ?? false;
  if (!json) {
    io.stdout.write(`autoresearch demo: researching ${directory}\n`);
    io.stdout.write(
      existing.length > 0
        ? `resuming after ${existing.length} recorded trials\n`
        : `running ${trials} trials\n`,
    );
  }
  const summary = await researchWithSignals(
    { ...options, stopWhen: [isTrialCount(existing.length + trials)] },
    io,
    json,
    typeof loaded.config.runner === "object" && "timeoutMs" in loaded.config.runner
      ? (loaded.config.runner.timeoutMs as number | undefined)
      : undefined,
  );
  if (!json) {
    const shown = shellQuote(relative(process.cwd(), directory) || ".");
    const baseline = summary.baseline?.metric;
    const best = summary.best?.metric;
    io.stdout.write(`\nThe demo repository is ${directory}\n`);
    if (baseline != null && best != null) {
      const change = ((best - baseline) / Math.abs(baseline)) * 100;
      io.stdout.write(
        `${loaded.config.objective && "metric" in loaded.config.objective ? loaded.config.objective.metric : "metric"}: baseline ${baseline.toFixed(4)} -> best ${best.toFixed(4)} (${change >= 0 ? "+" : ""}${change.toFixed(1)}%), ${summary.records.filter((record) => record.kind !== "baseline" && record.status === "keep").length} kept of ${summary.records.length} trials, the baseline included\n`,
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
}
