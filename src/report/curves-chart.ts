import type { TopLevelSpec } from "vega-lite";
import { palette, renderVegaLite } from "./progress-chart.js";
import type { ReportData, ReportRow } from "./report-data.js";

/** At most this many curves of trials that were not kept are drawn (the latest); kept ones always are. */
const maxOtherCurves = 60;

function category(row: ReportRow): string {
  if (row.kind === "baseline") return "baseline";
  return row.status === "keep" || row.status === "pruned" ? row.status : "discard";
}

/**
 * The learning curves of a research whose objective reads progress: the baseline's, every kept trial's, and the
 * latest others' (pruned ones where they were stopped). `undefined` when no trial has a curve.
 */
export function buildCurvesChartSpec(data: ReportData, width = 960, height = 300): TopLevelSpec | undefined {
  const withCurves = data.rows.filter((row) => row.curve !== null);
  if (withCurves.length === 0) return undefined;
  const others = withCurves.filter((row) => category(row) !== "keep" && category(row) !== "baseline");
  const shown = new Set([
    ...withCurves
      .filter((row) => category(row) === "keep" || category(row) === "baseline")
      .map((row) => row.id),
    ...others.slice(-maxOtherCurves).map((row) => row.id),
  ]);
  const values = withCurves
    .filter((row) => shown.has(row.id))
    .flatMap((row) =>
      (row.curve ?? []).map(([progress, value]) => ({
        trial: row.id,
        status: category(row),
        progress,
        value,
      })),
    );
  const categories = ["discard", "pruned", "baseline", "keep"].filter((name) =>
    values.some((point) => point.status === name),
  );
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    background: "white",
    padding: 8,
    title: { text: `Learning curves (${data.metric}, by progress)`, anchor: "start", fontSize: 13 },
    config: { font: "sans-serif", view: { stroke: "#ddd" }, axis: { gridColor: "#eee", labelFontSize: 10 } },
    data: { values },
    mark: { type: "line", strokeWidth: 1.2 },
    encoding: {
      x: { field: "progress", type: "quantitative", title: "progress" },
      y: { field: "value", type: "quantitative", title: data.metric, scale: { zero: false } },
      detail: { field: "trial", type: "nominal" },
      color: {
        field: "status",
        type: "nominal",
        title: null,
        scale: { domain: categories, range: categories.map((name) => palette[name] ?? "#000") },
      },
      opacity: { condition: { test: "datum.status === 'discard'", value: 0.35 }, value: 0.9 },
      order: { field: "progress", type: "quantitative" },
    },
  };
  return spec as unknown as TopLevelSpec;
}

/** The learning curves as a standalone SVG, or `undefined` when no trial recorded one. */
export async function renderCurvesChart(data: ReportData): Promise<string | undefined> {
  const spec = buildCurvesChartSpec(data);
  return spec === undefined ? undefined : renderVegaLite(spec);
}
