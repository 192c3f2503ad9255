import { findConfigFile, loadConfig } from "../config/load-config.js";
import { resolveConfig } from "../config/resolve-config.js";
import { runResearch } from "../loop/research.js";
import type { ResearchSummary } from "../spec/events.js";
import { createEventPrinter } from "./event-printer.js";
import { explainStop } from "./explain-stop.js";
import { handleInterrupts, type Interrupts } from "./interrupts.js";
import type { CliIo, ParsedArguments } from "./main.js";
import { positiveInteger } from "./main.js";

/**
 * Exit code of a finished research. Exit code 1 comes with a paragraph on `stderr` saying what failed and what
 * to do; pass `io` to have it written.
 */
export function exitCodeOf(summary: ResearchSummary, io?: Pick<CliIo, "stderr">): number {
  if (summary.stopReason === "aborted") return 130;
  // The research could not go on: the baseline crashed, or the proposer failed again and again.
  if (summary.stopReason === "baseline-failed" || summary.stopReason === "proposal-failures") {
    const explanation = io === undefined ? undefined : explainStop(summary);
    if (explanation !== undefined) io?.stderr.write(`\n${explanation}\n`);
    return 1;
  }
  return 0;
}

/**
 * Runs a research whose Ctrl-C handling is already installed: the first SIGINT (or SIGTERM) aborts, which records
 * the current trial as interrupted and leaves git consistent; a second one exits at once.
 */
export async function researchWithSignals(
  options: Parameters<typeof runResearch>[0],
  io: CliIo,
  json: boolean,
  interrupts: Interrupts,
  timeoutMs?: number,
): Promise<ResearchSummary> {
  const printer = await createEventPrinter(io, json, timeoutMs);
  try {
    return await runResearch({ ...options, abortSignal: interrupts.signal, onEvent: printer.handle });
  } finally {
    printer.close();
  }
}

/**
 * Runs a CLI command that researches, with Ctrl-C handled from its first moment: once the user asked to stop,
 * the exit code is 130 whatever happens on the way out (an error is still printed).
 */
export async function withInterrupts(
  io: CliIo,
  json: boolean,
  command: (interrupts: Interrupts) => Promise<number>,
  stopping?: string,
): Promise<number> {
  const interrupts = handleInterrupts(io, json, stopping);
  try {
    const code = await command(interrupts);
    return interrupts.stopped && code !== 0 ? 130 : code;
  } catch (error) {
    if (!interrupts.stopped) throw error;
    io.stderr.write(`Stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    return 130;
  } finally {
    interrupts.dispose();
  }
}

export async function runCommand(path: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const json = values.json ?? false;
  return withInterrupts(io, json, async (interrupts) => {
    const loaded = await loadConfig(findConfigFile(path));
    const config = { ...loaded.config };
    if (values.tag !== undefined) config.tag = values.tag;
    const maxTrials = positiveInteger(values["max-trials"], "max-trials");
    if (maxTrials !== undefined) config.stop = { ...config.stop, maxTrials };
    const options = {
      ...(await resolveConfig(config, loaded.directory)),
      ...(values["accept-branch"] ? { acceptBranch: true } : {}),
    };
    if (values.from !== undefined) {
      const { startFrom } = await import("../workspace/start-from.js");
      await startFrom({ directory: loaded.directory, tag: config.tag, from: values.from });
    }
    if (interrupts.stopped) return 130;
    const summary = await researchWithSignals(options, io, json, interrupts, runnerTimeoutMs(config.runner));
    return exitCodeOf(summary, io);
  });
}

/**
 * The run timeout a config's runner declares, for the live progress bar: a command runner's own, or that of a
 * `{ slurm }` or `{ promptfoo }` runner; none for a runner object.
 */
export function runnerTimeoutMs(runner: unknown): number | undefined {
  if (typeof runner !== "object" || runner === null) return undefined;
  const declared = runner as {
    timeoutMs?: unknown;
    slurm?: { timeoutMs?: unknown };
    promptfoo?: { timeoutMs?: unknown };
  };
  const value = declared.timeoutMs ?? declared.slurm?.timeoutMs ?? declared.promptfoo?.timeoutMs;
  return typeof value === "number" ? value : undefined;
}
