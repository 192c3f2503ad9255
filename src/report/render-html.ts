import type { TrialRecord } from "../spec/records.js";
import { renderCurvesChart } from "./curves-chart.js";
import { renderSealedTestHtml } from "./evaluation-sections.js";
import {
  decimalsFor,
  formatCost,
  formatDelta,
  formatDuration,
  formatMetric,
  formatPercent,
  formatTokens,
} from "./format-values.js";
import { type ProgressChartOptions, renderProgressChart } from "./progress-chart.js";
import {
  buildReportData,
  describeOutcomes,
  type ReportData,
  type ReportDataOptions,
  type ReportRow,
} from "./report-data.js";

export type HtmlReportOptions = ReportDataOptions & {
  /** Diffs by trial id, as `readTrialDiffs` returns them; trials without one show the git command instead. */
  diffs?: ReadonlyMap<number, string>;
  chart?: ProgressChartOptions;
  /** Shown in the header; defaults to the time of rendering. */
  generatedAt?: Date;
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => {
    switch (character) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      default:
        return "&#39;";
    }
  });
}

/** The diff as HTML lines, each added/removed/hunk/header line in a class the stylesheet colours. */
export function renderDiffHtml(diff: string): string {
  const out: string[] = [];
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const escaped = escapeHtml(line);
    let kind: string | undefined;
    if (
      /^(diff --git |index |--- |\+\+\+ |new file|deleted file|similarity |rename |old mode|new mode)/.test(
        line,
      )
    ) {
      kind = "meta";
    } else if (line.startsWith("@@")) kind = "hunk";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    else if (line.startsWith("…")) kind = "note";
    out.push(kind === undefined ? escaped : `<span class="${kind}">${escaped}</span>`);
  }
  return out.join("\n");
}

const stylesheet = `
:root { color-scheme: light; --fg: #1d1f23; --muted: #6b7078; --line: #e3e5e8; --keep: #1a9e4b; --bad: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 64px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: #fafbfc; }
h1 { font-size: 22px; margin: 0 0 2px; }
h2 { font-size: 16px; margin: 32px 0 8px; }
.sub { color: var(--muted); margin: 0 0 20px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 10px; margin: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card dd { margin: 2px 0 0; font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card dd small { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
.chart { margin: 20px 0 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px;
  overflow-x: auto; }
.chart svg { display: block; }
.chart figcaption { color: var(--muted); font-size: 12px; padding: 4px 8px 0; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: #f3f4f6; font-size: 12px; z-index: 1; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.s-discard td { color: #555; }
tr.s-keep td:first-child { box-shadow: inset 3px 0 var(--keep); }
tr.s-crash td:first-child, tr.s-timeout td:first-child { box-shadow: inset 3px 0 var(--bad); }
.status { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; background: #eceef1; }
.status.keep { background: #d8f3e0; color: #0d6b31; }
.status.baseline { background: #dce7fb; color: #1d4fa8; }
.status.crash, .status.timeout, .status.failed { background: #fde0e0; color: #9b1c1c; }
.status.invalid { background: #efe4fa; color: #5e3391; }
.better { color: var(--keep); }
.worse { color: var(--bad); }
.kind { font-size: 11px; color: var(--muted); margin-left: 6px; }
details > summary { cursor: pointer; }
details[open] > summary { margin-bottom: 6px; }
.facts { color: var(--muted); font-size: 12px; margin: 0 0 6px; }
pre.diff { margin: 0; padding: 8px 10px; background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-x: auto; max-height: 480px; }
pre.diff .add { color: #116329; background: #dafbe1; display: inline-block; min-width: 100%; }
pre.diff .del { color: #82071e; background: #ffebe9; display: inline-block; min-width: 100%; }
pre.diff .hunk { color: #0550ae; }
pre.diff .meta { color: var(--muted); font-weight: 600; }
pre.diff .note { color: var(--muted); font-style: italic; }
code.command { font-size: 12px; background: #f3f4f6; padding: 1px 5px; border-radius: 4px; }
`;

function card(label: string, value: string, detail?: string): string {
  const small = detail === undefined || detail === "" ? "" : `<small>${escapeHtml(detail)}</small>`;
  return `<div class="card"><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}${small}</dd></div>`;
}

function ratio(value: number | null): string {
  return value === null ? "-" : `${(value * 100).toFixed(1)}%`;
}

function summaryCards(data: ReportData, decimals: number): string {
  const cards: string[] = [];
  const baseline = formatMetric(data.baseline?.metric, decimals);
  const best = formatMetric(data.best?.metric, decimals);
  cards.push(
    card(
      "Baseline → best",
      `${baseline} → ${best}`,
      data.improvement === undefined
        ? data.metric
        : `${data.metric} ${formatDelta(data.improvement.absolute, decimals)} (${formatPercent(data.improvement.relative)})`,
    ),
  );
  if (data.best !== undefined) {
    cards.push(card("Best trial", `#${data.best.id}`, data.best.description));
  }
  cards.push(card("Trials", String(data.trials), `the baseline included: ${describeOutcomes(data)}`));
  cards.push(
    card("Keep rate", ratio(data.keepRate), `${data.counts.keep} kept, ${data.counts.discard} discarded`),
  );
  cards.push(
    card(
      "Crash rate",
      ratio(data.crashRate),
      `${data.counts.crash} crashed, ${data.counts.timeout} timed out`,
    ),
  );
  cards.push(card("Wall time", formatDuration(data.wallTimeMs), "first start to last end"));
  cards.push(
    card(
      "Compute time",
      formatDuration(data.computeTimeMs),
      data.slots > 1 ? `sum of experiment runs over ${data.slots} slots` : "sum of experiment runs",
    ),
  );
  if (data.slots > 1 && data.wallTimeMs > 0) {
    cards.push(
      card("Slots", String(data.slots), `${ratio(data.computeTimeMs / (data.wallTimeMs * data.slots))} busy`),
    );
  }
  if (data.tokens !== null) {
    cards.push(
      card(
        "Tokens",
        formatTokens(data.tokens.total),
        `${formatTokens(data.tokens.input)} in, ${formatTokens(data.tokens.output)} out`,
      ),
    );
  }
  if (data.costUsd !== null) cards.push(card("Cost", formatCost(data.costUsd)));
  if (data.noise !== undefined) {
    cards.push(
      card(
        "Against the noise",
        `${Number(data.noise.sigmas.toFixed(1))}σ`,
        data.noise.withinNoise ? "within the noise: the gain may not be real" : "beyond the run-to-run noise",
      ),
    );
  }
  if (data.sandbox !== undefined) {
    const [value, ...detail] = data.sandbox.split(": ");
    cards.push(card("Sandbox", value ?? data.sandbox, detail.join(": ")));
  }
  return `<dl class="cards">${cards.join("")}</dl>`;
}

function deltaCell(row: ReportRow, data: ReportData, decimals: number): string {
  if (row.delta === null) return `<td class="num"></td>`;
  const better = data.direction === "minimize" ? row.delta < 0 : row.delta > 0;
  const worse = data.direction === "minimize" ? row.delta > 0 : row.delta < 0;
  const className = better ? "better" : worse ? "worse" : "";
  return `<td class="num ${className}" title="incumbent ${formatMetric(row.incumbentMetric, decimals)}">${formatDelta(row.delta, decimals)}</td>`;
}

function descriptionCell(
  row: ReportRow,
  record: TrialRecord | undefined,
  data: ReportData,
  diffs: ReadonlyMap<number, string> | undefined,
): string {
  const kind =
    row.kind === "repair"
      ? `<span class="kind">repair${record?.repairOf === undefined ? "" : ` of #${record.repairOf}`}</span>`
      : "";
  const description = escapeHtml(row.description);
  if (row.commit === null) {
    // Nothing to diff (a failed proposal): the reason is all there is to show.
    const reason =
      row.reason === "" || row.label === "baseline" ? "" : `<p class="facts">${escapeHtml(row.reason)}</p>`;
    return `<td>${description}${kind}${reason}</td>`;
  }
  const facts: string[] = [];
  if (row.reason !== "") facts.push(escapeHtml(row.reason));
  if (row.flips !== undefined) facts.push(`cases ${escapeHtml(row.flips)}`);
  if (record !== undefined && record.changedFiles.length > 0) {
    facts.push(`changed ${record.changedFiles.map((file) => escapeHtml(file)).join(", ")}`);
  }
  const ref = `refs/autoresearch/${data.tag}/trials/${row.id}`;
  const diff = diffs?.get(row.id);
  let body: string;
  if (diff === undefined) {
    body = `<p class="facts">Diff not embedded: <code class="command">git show ${escapeHtml(ref)}</code></p>`;
  } else if (diff === "") {
    body = `<p class="facts">No changes.</p>`;
  } else {
    body = `<pre class="diff"><code>${renderDiffHtml(diff)}</code></pre>`;
  }
  return (
    `<td><details><summary>${description}${kind}</summary>` +
    `<p class="facts">${facts.join(" · ")}</p>${body}</details></td>`
  );
}

/** The report page from data already computed and a chart already drawn; no I/O. */
export function renderHtmlDocument(options: {
  data: ReportData;
  records: readonly TrialRecord[];
  chartSvg: string;
  /** The learning curves, when trials recorded them. */
  curvesSvg?: string | undefined;
  diffs?: ReadonlyMap<number, string> | undefined;
  generatedAt?: Date | undefined;
}): string {
  const { data, chartSvg, diffs } = options;
  const slotted = data.slots > 1;
  const decimals = decimalsFor(data.baseline?.metric ?? data.best?.metric ?? 1);
  const recordsById = new Map(options.records.map((record) => [record.id, record]));
  const generatedAt = (options.generatedAt ?? new Date()).toISOString().replace("T", " ").slice(0, 16);
  const title = `autoresearch: ${data.tag}`;
  const rows: string[] = [];
  for (const row of data.rows) {
    const statusLabel = row.label;
    rows.push(
      `<tr id="trial-${row.id}" class="s-${row.status}">` +
        `<td class="num">${row.id}</td>` +
        (slotted ? `<td class="num">${row.slot ?? ""}</td>` : "") +
        `<td><span class="status ${statusLabel}" title="${escapeHtml(row.reason)}">${statusLabel}</span></td>` +
        `<td class="num">${formatMetric(row.metric, decimals)}</td>` +
        deltaCell(row, data, decimals) +
        descriptionCell(row, recordsById.get(row.id), data, diffs) +
        `<td class="num">${formatDuration(row.durationMs)}</td>` +
        `<td class="num">${row.tokens === null ? "" : formatTokens(row.tokens)}</td>` +
        `<td class="num">${row.costUsd === null ? "" : formatCost(row.costUsd)}</td>` +
        "</tr>",
    );
  }
  const direction = data.direction === "minimize" ? "lower is better" : "higher is better";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${stylesheet}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(data.metric)}, ${direction} · ${data.trials} trials, the baseline included · generated ${escapeHtml(generatedAt)} UTC</p>
</header>
<section aria-label="summary">${summaryCards(data, decimals)}</section>
${renderSealedTestHtml(data, escapeHtml)}
<figure class="chart">
${chartSvg}
<figcaption>Each dot is a trial: kept ones in green, discarded ones in grey, failures as a red ×
at the ${data.direction === "minimize" ? "top" : "bottom"} edge (no metric). The green step line is the best so far;
the dashed line is the baseline. Trials far worse than the baseline are drawn at the edge.</figcaption>
</figure>${
    options.curvesSvg === undefined
      ? ""
      : `
<figure class="chart">
${options.curvesSvg}
<figcaption>The ${escapeHtml(data.metric)} each run printed as it went: the baseline in blue, kept trials in green,
others in grey, runs stopped early (pruned) in yellow where they were stopped.</figcaption>
</figure>`
  }
<h2>Trials</h2>
<table>
<thead><tr><th>#</th>${slotted ? "<th>slot</th>" : ""}<th>status</th><th>${escapeHtml(data.metric)}</th><th title="metric minus the incumbent's when the trial started">Δ incumbent</th><th>description (click for the diff)</th><th>duration</th><th>tokens</th><th>cost</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
}

/** A self-contained HTML report (inline SVG chart and styles, no scripts, nothing fetched) from ledger records. */
export async function renderHtmlReport(
  records: readonly TrialRecord[],
  options: HtmlReportOptions = {},
): Promise<string> {
  const { diffs, chart, generatedAt, ...dataOptions } = options;
  const data = buildReportData(records, dataOptions);
  const chartSvg = await renderProgressChart(data, chart);
  const curvesSvg = await renderCurvesChart(data);
  return renderHtmlDocument({ data, records, chartSvg, curvesSvg, diffs, generatedAt });
}
