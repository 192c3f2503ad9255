import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TrialRecord } from "../spec/records.js";
import { createTrialRecord } from "../testing/trial-record.js";
import { createJsonlLedger, readLedgerFile } from "./jsonl-ledger.js";

function record(id: number, status: TrialRecord["status"] = "discard"): TrialRecord {
  return createTrialRecord({
    id,
    tag: "t",
    parent: "a".repeat(40),
    commit: `${id}`.padStart(40, "b"),
    description: `trial\t${id}\nsecond line`,
    status,
    metric: status === "crash" ? null : 1 + id / 10,
    metrics: { peak_vram_mb: 2048 },
    startedAt: "2026-01-01T00:00:00.000Z",
    endedAt: "2026-01-01T00:00:01.000Z",
  });
}

describe("the JSONL ledger", () => {
  it("appends records and an autoresearch-style results.tsv", async () => {
    const directory = mkdtempSync(join(tmpdir(), "ledger-"));
    const ledger = createJsonlLedger({
      file: join(directory, "ledger.jsonl"),
      resultsFile: join(directory, "results.tsv"),
      metric: "val_bpb",
    });
    await ledger.append({ record: record(0, "keep") });
    await ledger.append({ record: record(1, "crash") });
    expect((await ledger.read()).map((entry) => entry.id)).toEqual([0, 1]);
    expect(readFileSync(join(directory, "results.tsv"), "utf8")).toBe(
      "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n" +
        "bbbbbbb\t1.000000\t2.0\tkeep\ttrial 0 second line\n" +
        "bbbbbbb\t0.000000\t2.0\tcrash\ttrial 1 second line\n",
    );
  });

  it("cuts a torn last line left by a killed driver and rebuilds results.tsv", async () => {
    const directory = mkdtempSync(join(tmpdir(), "ledger-"));
    const file = join(directory, "ledger.jsonl");
    writeFileSync(file, `${JSON.stringify(record(0, "keep"))}\n`);
    appendFileSync(file, JSON.stringify(record(1)).slice(0, 25));
    // Others reading while it is torn see the whole records only.
    expect((await readLedgerFile(file)).map((entry) => entry.id)).toEqual([0]);
    const ledger = createJsonlLedger({ file, resultsFile: join(directory, "results.tsv") });
    await ledger.append({ record: record(2) });
    expect((await readLedgerFile(file)).map((entry) => entry.id)).toEqual([0, 2]);
    expect(readFileSync(join(directory, "results.tsv"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("refuses a ledger broken in the middle, naming the line", async () => {
    const directory = mkdtempSync(join(tmpdir(), "ledger-"));
    const file = join(directory, "ledger.jsonl");
    writeFileSync(file, `${JSON.stringify(record(0))}\nnot json\n${JSON.stringify(record(1))}\n`);
    await expect(readLedgerFile(file)).rejects.toThrow(/broken record at line 2/);
  });
});
