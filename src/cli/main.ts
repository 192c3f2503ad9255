import { parseArgs } from "node:util";
import pc from "picocolors";
import { AutoresearchError, ConfigurationError } from "../errors/autoresearch-error.js";
import { packageVersion } from "./package-root.js";

const usage = `Usage: autoresearch <command> [options]

Commands:
  run [config]        Run the research described by a config file (default: ./autoresearch.config.ts)
  status [tag]        Show the trials and the best of a run (works while it runs); lists tags without one
  report [tag]        Write a report: progress chart, table of trials with diffs, summary
  compare <a> <b>     Compare two tags: baseline, best, keeps, cost, and the diff between their bests
  clean [tag]         Remove a research: its branch, trial refs, worktrees and state (asks first, unless --yes)
  ablate [tag]        Re-measure the best with each kept change undone: what each contributes, which can go
  demo [directory]    Copy the built-in example into a fresh git repository and research it (default ./autoresearch-demo)

Options:
  --tag <tag>           Override the config's tag (run)
  --from <tag>          Start a new tag from another tag's best, its branch autoresearch/<tag> (run)
  --yes                 Do not ask before removing (clean)
  --max-trials <n>      Stop once n trials are recorded, the baseline included (run, demo)
  --accept-branch       Continue from the branch although something else moved it: its head is measured
                        as a new baseline (run; without it such a start stops and says what differs)
  --json                Print one JSON event per line instead of progress (run, demo, status); the result as JSON (ablate)
  --directory <dir>     The researched directory (status, report, compare, clean, ablate; default: the current one)
  --format <f>          html, md or json (report; default html)
  --output <file>       Where to write the report
  --config <file>       The config file whose runner and objective measure (ablate; default: the one here)
  --repeats <n>         Runs of the best and of each variant (ablate; default 3)
  --branch <name>       Also write a branch of the best without the changes that can go (ablate)
  -h, --help            Show this help
  -v, --version         Show the version

Exit codes: 0 done, 1 the research failed (the baseline crashed, or proposals kept failing; stderr says why) or
clean was not confirmed, 2 bad configuration or usage (found before anything runs), 130 stopped by Ctrl-C or a closed
output (the current trial is recorded as interrupted; run again to resume).`;

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  /** Where `clean` reads its confirmation; the process's standard input by default. */
  stdin?: NodeJS.ReadableStream;
}

const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tag: { type: "string" },
      from: { type: "string" },
      yes: { type: "boolean", default: false },
      "max-trials": { type: "string" },
      "accept-branch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      directory: { type: "string" },
      format: { type: "string" },
      output: { type: "string" },
      config: { type: "string" },
      repeats: { type: "string" },
      branch: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      version: { type: "boolean", short: "v", default: false },
    },
  });
}

export type ParsedArguments = ReturnType<typeof parse>;

export function positiveInteger(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new ConfigurationError({
      field: option,
      message: `Invalid \`--${option}\`: expected a positive integer, got \`${value}\``,
    });
  }
  return number;
}

/** The CLI: argv in, exit code out. Everything it does goes through the same API users call. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let parsed: ParsedArguments;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === "help") {
    io.stdout.write(`${usage}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  try {
    switch (command) {
      case "run": {
        const { runCommand } = await import("./run-command.js");
        return await runCommand(rest[0], values, io);
      }
      case "demo": {
        const { demoCommand } = await import("./demo-command.js");
        return await demoCommand(rest[0], values, io);
      }
      case "status": {
        const { statusCommand } = await import("./status-command.js");
        return await statusCommand(rest[0], values, io);
      }
      case "report": {
        const { reportCommand } = await import("./report-command.js");
        return await reportCommand(rest[0], values, io);
      }
      case "compare": {
        const { compareCommand } = await import("./compare-command.js");
        return await compareCommand(rest, values, io);
      }
      case "clean": {
        const { cleanCommand } = await import("./clean-command.js");
        return await cleanCommand(rest[0], values, io);
      }
      case "ablate": {
        const { ablateCommand } = await import("./ablate-command.js");
        return await ablateCommand(rest[0], values, io);
      }
      default:
        io.stderr.write(
          `Unknown command \`${command}\`: expected run, status, report, compare, clean, ablate or demo.\n\n${usage}\n`,
        );
        return 2;
    }
  } catch (error) {
    if (ConfigurationError.isInstance(error)) {
      io.stderr.write(`${pc.red("Configuration error:")} ${error.message}\n`);
      return 2;
    }
    if (AutoresearchError.isInstance(error)) {
      io.stderr.write(`${pc.red(`${error.name}:`)} ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
