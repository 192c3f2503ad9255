import { resolve } from "node:path";
import type { CliIo, ParsedArguments } from "./main.js";

/** `autoresearch status [tag]`: reads the ledger (safe while a run appends to it) and prints a table. */
export async function statusCommand(tag: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const { readStatus, formatStatusTable } = await import("../report/read-status.js");
  const directory = resolve(values.directory ?? ".");
  const status = await readStatus({ directory, ...(tag === undefined ? {} : { tag }) });
  io.stdout.write(values.json ? `${JSON.stringify(status)}\n` : `${formatStatusTable(status)}\n`);
  return 0;
}
