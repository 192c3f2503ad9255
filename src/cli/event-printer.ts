import type { ResearchEvent } from "../spec/events.js";
import type { CliIo } from "./main.js";

export interface EventPrinter {
  handle(event: ResearchEvent): void;
  close(): void;
}

/** `--json`: one event per line, nothing else on stdout. */
function createJsonPrinter(io: CliIo): EventPrinter {
  return {
    handle: (event) => io.stdout.write(`${JSON.stringify(event)}\n`),
    close: () => undefined,
  };
}

/** The event printer of `run` and `demo`: JSON lines, or live progress (plain lines when stdout is no TTY). */
export async function createEventPrinter(
  io: CliIo,
  json: boolean,
  timeoutMs?: number,
): Promise<EventPrinter> {
  if (json) return createJsonPrinter(io);
  const { createProgressRenderer } = await import("../report/progress-renderer.js");
  return createProgressRenderer({
    stream: io.stdout,
    isTTY: io.stdout.isTTY === true,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
}
