import { findConfigFile, loadConfig } from "../config/load-config.js";
import { resolveConfig } from "../config/resolve-config.js";
import { runResearch } from "../loop/research.js";
import type { ResearchSummary } from "../spec/events.js";
import { createEventPrinter } from "./event-printer.js";
import type { CliIo, ParsedArguments } from "./main.js";
import { positiveInteger } from "./main.js";

/** Exit code of a finished research. */
export function exitCodeOf(summary: ResearchSummary): number {
  if (summary.stopReason === "aborted") return 130;
  // The research could not go on: the baseline crashed, or the proposer failed again and again.
  if (summary.stopReason === "baseline-failed" || summary.stopReason === "proposal-failures") return 1;
  return 0;
}

/**
 * Runs a research with Ctrl-C handling: the first SIGINT (or SIGTERM) aborts, which records the current trial as
 * interrupted and leaves git consistent; a second one exits at once.
 */
export async function researchWithSignals(
  options: Parameters<typeof runResearch>[0],
  io: CliIo,
  json: boolean,
  timeoutMs?: number,
): Promise<ResearchSummary> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(130);
    if (!json) io.stderr.write(`\n${signal}: stopping; recording the current trial as interrupted…\n`);
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const printer = await createEventPrinter(io, json, timeoutMs);
  try {
    return await runResearch({ ...options, abortSignal: controller.signal, onEvent: printer.handle });
  } finally {
    printer.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

export async function runCommand(path: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const loaded = await loadConfig(findConfigFile(path));
  const config = { ...loaded.config };
  if (values.tag !== undefined) config.tag = values.tag;
  const maxTrials = positiveInteger(values["max-trials"], "max-trials");
  if (maxTrials !== undefined) config.stop = { ...config.stop, maxTrials };
  const options = {
    ...(await resolveConfig(config, loaded.directory)),
    ...(values["accept-branch"] ? { acceptBranch: true } : {}),
  };
  const timeoutMs =
    typeof config.runner === "object" && "timeoutMs" in config.runner ? config.runner.timeoutMs : undefined;
  const summary = await researchWithSignals(
    options,
    io,
    values.json ?? false,
    timeoutMs as number | undefined,
  );
  return exitCodeOf(summary);
}
