import { spawn } from "node:child_process";
import { once } from "node:events";
import { appendFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatStatusTable, readStatus } from "../src/report/read-status.js";
import type { TrialRecord } from "../src/spec/records.js";
import { generateLedger } from "./fixtures/report/generate-ledger.js";

describe("readStatus", () => {
  let directory: string;
  const records: TrialRecord[] = generateLedger({ trials: 40, tag: "night", seed: 3 });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "autoresearch-status-"));
    await mkdir(join(directory, ".autoresearch", "night"), { recursive: true });
    await mkdir(join(directory, ".autoresearch", "empty"), { recursive: true });
    await mkdir(join(directory, ".autoresearch", "old"), { recursive: true });
    const lines = records.map((record) => JSON.stringify(record)).join("\n");
    // A driver appending right now: the last record is only half written.
    const torn = JSON.stringify({ ...records[1], id: 41 }).slice(0, 50);
    await writeFile(join(directory, ".autoresearch", "night", "ledger.jsonl"), `${lines}\n${torn}`);
    await writeFile(
      join(directory, ".autoresearch", "old", "ledger.jsonl"),
      `${JSON.stringify({ ...records[0], tag: "old" })}\n`,
    );
  });

  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("reads a ledger being appended to, skipping the torn last line", async () => {
    const status = await readStatus({ directory, tag: "night" });
    if (status.type !== "tag") throw new Error("expected a tag status");
    expect(status.records).toHaveLength(records.length);
    expect(status.running).toBe(false);
    const kept = records.filter((record) => record.status === "keep");
    expect(status.data.best?.id).toBe(kept[kept.length - 1]?.id);
  });

  it("sees a running driver through the lock, and a stale lock as not running", async () => {
    const lockFile = join(directory, ".autoresearch", "night", "lock");
    await writeFile(
      lockFile,
      JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: "2025-03-01T00:00:00Z" }),
    );
    const running = await readStatus({ directory, tag: "night" });
    expect(running.type === "tag" && running.running).toBe(true);
    expect(formatStatusTable(running)).toContain(
      `research night: running (pid ${process.pid} on ${hostname()}`,
    );

    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    await writeFile(
      lockFile,
      JSON.stringify({ pid: child.pid, hostname: hostname(), startedAt: "2025-03-01T00:00:00Z" }),
    );
    const stale = await readStatus({ directory, tag: "night" });
    expect(stale.type === "tag" && stale.running).toBe(false);
    expect(formatStatusTable(stale)).toContain("not running: stale lock");

    await writeFile(
      lockFile,
      JSON.stringify({ pid: 1, hostname: "elsewhere.invalid", startedAt: "2025-03-01T00:00:00Z" }),
    );
    const remote = await readStatus({ directory, tag: "night" });
    expect(remote.type === "tag" && remote.lock?.alive).toBeUndefined();
    expect(remote.type === "tag" && remote.running).toBe(true);
    expect(formatStatusTable(remote)).toContain("cannot check from this host");
    await rm(lockFile);
  });

  it("formats the best and the latest trials as a table", async () => {
    const status = await readStatus({ directory, tag: "night" });
    const text = formatStatusTable(status, { limit: 5 });
    const lines = text.split("\n");
    expect(lines[0]).toBe("research night: not running");
    expect(text).toMatch(/^best: trial \d+ {2}0\.\d{4} \(-\d\.\d\d% vs baseline 0\.9979\)/m);
    expect(lines).toContain("… 35 earlier trials not shown");
    const header = lines.find((line) => line.trimStart().startsWith("#"));
    expect(header).toMatch(/^ *# +status +val_bpb +delta +description$/);
    expect(lines.filter((line) => /^\s*\d+ {2}\w/.test(line))).toHaveLength(6);
    expect(text).toContain(records[records.length - 1]?.description ?? "?");
  });

  it("lists the tags when none is given, and picks up a trial appended meanwhile", async () => {
    const before = await readStatus({ directory });
    expect(before.type).toBe("tags");
    if (before.type !== "tags") return;
    expect(before.tags.map((entry) => entry.tag)).toEqual(["night", "old"]);
    expect(before.tags[0]?.trials).toBe(records.length);
    expect(formatStatusTable(before)).toMatch(/^tag +trials +best +metric +last trial +state\nnight +41 /);

    const ledger = join(directory, ".autoresearch", "night", "ledger.jsonl");
    await writeFile(ledger, `${records.map((record) => JSON.stringify(record)).join("\n")}\n`);
    await appendFile(ledger, `${JSON.stringify({ ...records[1], id: 41 })}\n`);
    const after = await readStatus({ directory, tag: "night" });
    expect(after.type === "tag" && after.records.length).toBe(records.length + 1);
  });

  it("says when there is no research at all", async () => {
    const empty = await mkdtemp(join(tmpdir(), "autoresearch-status-none-"));
    try {
      expect(formatStatusTable(await readStatus({ directory: empty }))).toContain("No research found");
      const none = await readStatus({ directory: empty, tag: "x" });
      expect(formatStatusTable(none)).toContain("no trials recorded yet");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
