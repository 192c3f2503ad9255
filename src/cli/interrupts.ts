import { removeEarlyExit } from "./early-exit.js";
import type { CliIo } from "./main.js";

/** Ctrl-C for a CLI command, from its first moment to its last. */
export interface Interrupts {
  /** Aborted by the first SIGINT or SIGTERM (or when standard output is closed under us). */
  readonly signal: AbortSignal;
  /** Whether the command was asked to stop. */
  readonly stopped: boolean;
  dispose(): void;
}

/**
 * Installs the CLI's handling of Ctrl-C before anything else happens, so that no signal ever meets the default
 * handler (which would kill the driver between two git commands). The first SIGINT or SIGTERM aborts `signal`:
 * the research records its current trial as interrupted and ends with exit code 130. A second one exits at once;
 * what it leaves (the lock, the in-flight marker, temporary files) the next start cleans or takes over.
 * A closed standard output (`… | head`) stops the research the same way instead of crashing it.
 */
export function handleInterrupts(
  io: CliIo,
  json: boolean,
  stopping = "recording the current trial as interrupted",
): Interrupts {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130);
    if (!json) {
      io.stderr.write(`\n${signal}: stopping; ${stopping} (Ctrl-C again to quit now)…\n`);
    }
    controller.abort(new Error(`stopped by ${signal}`));
  };
  let outputClosed = false;
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    outputClosed = true;
    count++;
    controller.abort(new Error("the output was closed"));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  removeEarlyExit();
  io.stdout.on("error", onOutputError);
  return {
    signal: controller.signal,
    get stopped() {
      return count > 0;
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // Writes already on their way fail later; once the reader is gone, they fail quietly.
      if (!outputClosed) io.stdout.off("error", onOutputError);
    },
  };
}
