import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/ledgers/jsonl-ledger.js";
import { renderProgressChart } from "../src/report/progress-chart.js";
import { renderHtmlReport } from "../src/report/render-html.js";
import { renderJsonReport } from "../src/report/render-json.js";
import { renderMarkdownReport } from "../src/report/render-markdown.js";
import { buildReportData } from "../src/report/report-data.js";
import { fixtureFile, fixtureText, generateDiff } from "./fixtures/report/generate-ledger.js";

const pointMarks = (svg: string) =>
  (svg.match(/role="graphics-symbol" aria-roledescription="point"/g) ?? []).length;

describe("report of the recorded 200-trial ledger", async () => {
  const records = await readLedgerFile(fixtureFile);

  it("is the generator's output, so the fixture can be regenerated", async () => {
    expect(await readFile(fixtureFile, "utf8")).toBe(fixtureText());
    expect(records).toHaveLength(201);
  });

  it("finds the best: the last kept trial, which is also the lowest kept metric", () => {
    const data = buildReportData(records);
    const kept = records.filter((record) => record.status === "keep");
    const lowest = Math.min(...kept.map((record) => record.metric as number));
    expect(data.metric).toBe("val_bpb");
    expect(data.direction).toBe("minimize");
    expect(data.best?.id).toBe(kept[kept.length - 1]?.id);
    expect(data.best?.metric).toBe(lowest);
    expect(data.baseline).toMatchObject({ id: 0, metric: 0.9979, status: "keep" });
    expect(data.trials).toBe(201);
    expect(data.proposals).toBe(200);
  });

  it("draws one chart symbol per trial: measured ones as points, failures as crosses", async () => {
    const data = buildReportData(records);
    const svg = await renderProgressChart(data);
    expect(pointMarks(svg)).toBe(records.length);
    const unmeasured = records.filter((record) => record.metric === null).length;
    expect(unmeasured).toBeGreaterThan(0);
    const crosses =
      svg.match(/<g class="mark-symbol role-mark unmeasured_marks"[^>]*>(.*?)<\/g>/s)?.[1] ?? "";
    expect((crosses.match(/aria-roledescription="point"/g) ?? []).length).toBe(unmeasured);
    expect(svg).toContain("baseline 0.9979");
    expect(svg).toContain('aria-roledescription="line mark"');
  });

  it("renders a self-contained HTML page with the chart, the table and the diffs", async () => {
    const diffs = new Map(
      records.filter((record) => record.commit !== null).map((r) => [r.id, generateDiff(r)]),
    );
    const html = await renderHtmlReport(records, { diffs, generatedAt: new Date("2025-03-02T00:00:00Z") });
    expect(pointMarks(html)).toBe(records.length);
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
    expect((html.match(/<tr id="trial-/g) ?? []).length).toBe(records.length);
    expect((html.match(/<details>/g) ?? []).length).toBe(diffs.size);
    expect(html).toContain('<span class="del">-MATRIX_LR = 0.02</span>');
    expect(html).toContain('<span class="add">+MATRIX_LR = 0.01</span>');
    expect(html).toContain("0.9979 → 0.9402");
    expect(html).toContain("-5.78%");
  });

  it("renders markdown with the chart referenced beside it, and JSON with summary and records", async () => {
    const { markdown, svg } = await renderMarkdownReport(records, { chartFile: "chart.svg" });
    expect(markdown).toContain("![progress of val_bpb over the trials](chart.svg)");
    expect(markdown.split("\n").filter((line) => /^\| \d+ \|/.test(line))).toHaveLength(records.length);
    expect(pointMarks(svg)).toBe(records.length);
    const json = JSON.parse(renderJsonReport(records));
    expect(json.summary.best.id).toBe(buildReportData(records).best?.id);
    expect(json.records).toHaveLength(records.length);
    expect(json.trials[1].delta).toBeCloseTo(records[1]?.comparison?.delta ?? Number.NaN, 9);
  });

  it("escapes descriptions in the page and in the chart", async () => {
    const hostile = records.slice(0, 4).map((record) => ({ ...record }));
    const third = hostile[3];
    if (third === undefined) throw new Error("fixture too short");
    third.description = `<img src=x onerror=alert(1)> & "quotes"`;
    const html = await renderHtmlReport(hostile, { diffs: new Map([[3, "+<b>bold</b>\n"]]) });
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>bold");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;");
  });
});
