import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigurationError, LedgerError } from "../src/errors/autoresearch-error.js";
import { readTrialDiffs } from "../src/report/trial-diffs.js";
import { writeReport } from "../src/report/write-report.js";
import { createResearchRepo } from "./fixtures/report/research-repo.js";

describe("writeReport on a real research repository", () => {
  const repo = createResearchRepo({ trials: 14 });
  const { directory, tag, records } = repo;
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("reads each trial's diff from git: git diff <parent> <commit>", async () => {
    const diffs = await readTrialDiffs({ directory, records });
    const withCommit = records.filter((record) => record.commit !== null);
    expect(diffs.size).toBe(withCommit.length);
    for (const record of withCommit) {
      const diff = diffs.get(record.id) ?? "";
      expect(diff).toMatch(/^diff --git a\/train\.py b\/train\.py\n/);
      const knob = /^([A-Z_]+) (\S+) -> (\S+)$/.exec(record.description);
      if (knob !== null) expect(diff).toContain(`\n+${knob[1]} = ${knob[3]}\n`);
      else expect(diff).toContain(`<trial ${record.id}>`);
    }
  });

  it("bounds the diffs read, keeping every kept trial", async () => {
    const kept = records.filter((record) => record.status === "keep" && record.commit !== null);
    const diffs = await readTrialDiffs({ directory, records, maxDiffs: kept.length + 1, maxDiffLength: 60 });
    expect(diffs.size).toBe(kept.length + 1);
    for (const record of kept) expect(diffs.has(record.id)).toBe(true);
    expect(diffs.get(records[records.length - 1]?.id ?? -1)).toContain("… diff cut at 60 characters");
  });

  it("leaves out trials whose commits are gone instead of failing", async () => {
    const broken = records.map((record) =>
      record.id === 1 ? { ...record, commit: "f".repeat(40) } : record,
    );
    const diffs = await readTrialDiffs({ directory, records: broken });
    expect(diffs.has(1)).toBe(false);
    expect(diffs.has(2)).toBe(true);
  });

  it("writes report.html by default, with the diffs in place", async () => {
    const result = await writeReport({ directory, tag });
    const expected = join(directory, ".autoresearch", tag, "report.html");
    expect(result).toEqual({ file: expected, files: [expected] });
    const html = await readFile(expected, "utf8");
    expect((html.match(/<pre class="diff">/g) ?? []).length).toBe(records.filter((r) => r.commit).length);
    expect((html.match(/aria-roledescription="point"/g) ?? []).length).toBe(records.length);
  });

  it("writes markdown with report.svg beside it, and JSON, at a chosen output", async () => {
    const output = join(directory, "out", "summary.md");
    const md = await writeReport({ directory, tag, format: "md", output });
    expect(md.files).toEqual([output, join(directory, "out", "summary.svg")]);
    expect(await readFile(output, "utf8")).toContain("](summary.svg)");
    expect(await readFile(join(directory, "out", "summary.svg"), "utf8")).toMatch(/^<svg /);

    const json = await writeReport({ directory, tag, format: "json" });
    expect(json.file).toBe(join(directory, ".autoresearch", tag, "report.json"));
    const parsed = JSON.parse(await readFile(json.file, "utf8"));
    expect(parsed.records).toHaveLength(records.length);
    expect(parsed.summary.metric).toBe("val_bpb");
  });

  it("says which tags exist when the tag has no ledger", async () => {
    const error = await writeReport({ directory, tag: "nope" }).catch((caught: unknown) => caught);
    expect(LedgerError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`known tags: ${tag}`);
    expect(existsSync(join(directory, ".autoresearch", "nope", "report.html"))).toBe(false);
  });

  it("rejects bad options naming the field", async () => {
    const error = await writeReport({ directory, tag, format: "pdf" as "html" }).catch(
      (caught: unknown) => caught,
    );
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/`format`.*got `"pdf"`/);
  });
});
