import { mkdir, open, readFile, truncate, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { LedgerError } from "../errors/autoresearch-error.js";
import type { Ledger } from "../spec/ledger.js";
import type { TrialRecord } from "../spec/records.js";
import { formatResultsRow, resultsHeader } from "./results-tsv.js";

export interface JsonlLedgerOptions {
  /** The ledger file, e.g. `.autoresearch/<tag>/ledger.jsonl`. */
  file: string;
  /** An autoresearch-compatible `results.tsv` kept beside it; omit to write none. */
  resultsFile?: string;
  /** The metric that `results.tsv`'s second column holds, for its header. */
  metric?: string;
}

/**
 * Reads a JSONL ledger. A torn last line (the driver was killed mid-write) is ignored; a broken line elsewhere
 * is an error naming the file and line, since it means the ledger was edited by hand.
 */
export async function readLedgerFile(file: string): Promise<TrialRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new LedgerError({ message: `Cannot read the ledger ${file}`, cause: error });
  }
  const lines = text.split("\n");
  const records: TrialRecord[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    try {
      const record = JSON.parse(line) as TrialRecord;
      if (typeof record !== "object" || record === null || typeof record.id !== "number") {
        throw new Error("not a trial record");
      }
      records.push(record);
    } catch (error) {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === "");
      if (isLast && !text.endsWith("\n")) break;
      throw new LedgerError({
        message: `The ledger ${file} has a broken record at line ${index + 1}: expected one JSON trial record per line`,
        cause: error,
      });
    }
  }
  return records;
}

/** The built-in ledger: one JSON record per line, appended and fsynced, and a `results.tsv` beside it. */
export function createJsonlLedger(options: JsonlLedgerOptions): Ledger {
  const { file, resultsFile } = options;
  let repaired = false;

  async function appendLine(
    path: string,
    line: string,
    options: { header?: string; sync: boolean },
  ): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, "a+");
    try {
      const { size } = await handle.stat();
      let prefix = "";
      if (size === 0 && options.header !== undefined) prefix = `${options.header}\n`;
      await handle.write(`${prefix}${line}\n`);
      if (options.sync) await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Makes the files whole again after a driver was killed mid-append: a torn last line of the ledger was never
   * acknowledged (its trial is still marked in flight and gets recorded as interrupted), so it is cut off; and
   * `results.tsv`, derived from the ledger, is rewritten if it lost or gained a row.
   */
  async function repair(): Promise<TrialRecord[]> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new LedgerError({ message: `Cannot read the ledger ${file}`, cause: error });
    }
    if (text !== "" && !text.endsWith("\n"))
      await truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
    const records = await readLedgerFile(file);
    if (resultsFile !== undefined) {
      const rows = await readFile(resultsFile, "utf8").catch(() => "");
      const expected = [resultsHeader(options.metric), ...records.map(formatResultsRow)].join("\n") + "\n";
      if (records.length > 0 && rows !== expected) await writeFile(resultsFile, expected);
    }
    repaired = true;
    return records;
  }

  return {
    name: "jsonl",
    async append({ record }) {
      try {
        if (!repaired) await repair();
        await appendLine(file, JSON.stringify(record), { sync: true });
        if (resultsFile !== undefined) {
          // Derived from the ledger and rebuilt from it when it lags, so it needs no fsync of its own.
          await appendLine(resultsFile, formatResultsRow(record), {
            header: resultsHeader(options.metric),
            sync: false,
          });
        }
      } catch (error) {
        if (LedgerError.isInstance(error)) throw error;
        throw new LedgerError({ message: `Cannot append to the ledger ${file}`, cause: error });
      }
    },
    read: repair,
  };
}
