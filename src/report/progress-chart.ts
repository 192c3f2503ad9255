import type { TopLevelSpec } from "vega-lite";
import { decimalsFor, formatMetric, truncate } from "./format-values.js";
import type { ReportData, ReportRow } from "./report-data.js";

export interface ProgressChartOptions {
  /** Width of the plotting area in pixels (axes and legend add to it). Default 960. */
  width?: number | undefined;
  /** Height of the plotting area in pixels. Default 380. */
  height?: number | undefined;
  /** At most this many kept trials get a text label; the largest improvements win. Default 30. */
  maxLabels?: number | undefined;
  /** Characters of a label before it is cut. Default 32. */
  labelLength?: number | undefined;
}

/** Colours by category; kept trials stand out, discards recede, failures are red. */
export const palette: Record<string, string> = {
  baseline: "#2f6fdb",
  keep: "#1a9e4b",
  discard: "#b9b9b9",
  crash: "#d62728",
  timeout: "#e8710a",
  invalid: "#8e5cc2",
  interrupted: "#7f7f7f",
  pruned: "#c9a227",
};

// An "x": vega's built-in `cross` is a plus sign, and a plain path keeps the mark a single stroked symbol.
const crossShape = "M-1,-1L1,1M-1,1L1,-1";

/**
 * The y range: every measured trial when they are close together, but far-off failures (a diverged run) are
 * clamped to the edge so they do not squash the interesting part of the curve.
 */
function yDomain(data: ReportData): { domain: [number, number]; worseEdge: number } {
  const values = data.rows.map((row) => row.metric).filter((value): value is number => value !== null);
  if (values.length === 0) return { domain: [0, 1], worseEdge: data.direction === "minimize" ? 1 : 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const minimize = data.direction === "minimize";
  const reference = data.baseline?.metric ?? sorted[Math.floor(sorted.length / 2)] ?? 0;
  const bestEdge = minimize ? (sorted[0] ?? reference) : (sorted[sorted.length - 1] ?? reference);
  const worstValue = minimize ? (sorted[sorted.length - 1] ?? reference) : (sorted[0] ?? reference);
  const span = Math.abs(reference - bestEdge) || Math.abs(reference) * 0.01 || 1;
  // Keep at least 80% of the measured trials unclamped, and a margin beyond the baseline.
  const quantileIndex = Math.min(sorted.length - 1, Math.floor((minimize ? 0.8 : 0.2) * (sorted.length - 1)));
  const quantile = sorted[quantileIndex] ?? worstValue;
  let worse = minimize
    ? Math.min(worstValue, Math.max(reference + 0.2 * span, quantile))
    : Math.max(worstValue, Math.min(reference - 0.2 * span, quantile));
  if (minimize) worse = Math.max(worse, reference);
  else worse = Math.min(worse, reference);
  let low = Math.min(bestEdge, worse);
  let high = Math.max(bestEdge, worse);
  if (high === low) {
    const pad = Math.abs(high) * 0.01 || 1;
    low -= pad;
    high += pad;
  }
  const padding = (high - low) * 0.06;
  low -= padding;
  high += padding;
  return { domain: [low, high], worseEdge: minimize ? high : low };
}

function categoryOf(row: ReportRow): string {
  return row.kind === "baseline" ? "baseline" : row.status;
}

function labelled(data: ReportData, maxLabels: number): Set<number> {
  const kept = data.rows.filter(
    (row) => row.kind !== "baseline" && row.status === "keep" && row.metric !== null,
  );
  const gain = (row: ReportRow) => {
    const delta = row.delta ?? 0;
    return data.direction === "minimize" ? -delta : delta;
  };
  // The largest gains first, skipping a keep too close to one already labelled so the labels stay readable.
  const lastId = data.rows[data.rows.length - 1]?.id ?? 0;
  const gap = Math.max(1, lastId / 40);
  const chosen: number[] = [];
  for (const row of [...kept].sort((a, b) => gain(b) - gain(a))) {
    if (chosen.length >= maxLabels) break;
    if (chosen.every((id) => Math.abs(id - row.id) >= gap)) chosen.push(row.id);
  }
  return new Set(chosen);
}

type Datum = Record<string, unknown>;

/** What every layer of the chart is drawn from: the data, the plot's size and the value scale. */
interface ChartContext {
  data: ReportData;
  width: number;
  domain: [number, number];
  worseEdge: number;
  decimals: number;
  lastId: number;
}

/** The chart's points: measured trials, unmeasured ones (drawn at the worse edge), labels, the running best. */
interface ChartPoints {
  measured: Datum[];
  unmeasured: Datum[];
  texts: Datum[];
  steps: Datum[];
}

/** The shared encodings: the category's colour, the trial on x, the metric on y. */
interface ChartEncodings {
  color: Datum;
  x: Datum;
  y: Datum;
}

/** One datum per trial for its layer, the labels of the chosen keeps, and the running best's step points. */
function chartPoints(context: ChartContext, labels: Set<number>, labelLength: number): ChartPoints {
  const { data, worseEdge, decimals, lastId } = context;
  const points: ChartPoints = { measured: [], unmeasured: [], texts: [], steps: [] };
  let lastBest: number | null = null;
  for (const row of data.rows) {
    const category = categoryOf(row);
    const description = truncate(row.description, 80);
    if (row.metric === null) {
      points.unmeasured.push({ trial: row.id, y: worseEdge, category, status: row.status, description });
    } else {
      points.measured.push({
        trial: row.id,
        y: row.metric,
        category,
        status: row.status,
        value: formatMetric(row.metric, decimals),
        description,
      });
      if (labels.has(row.id))
        points.texts.push({ trial: row.id, y: row.metric, label: truncate(row.description, labelLength) });
    }
    // The running best only changes at keeps, so a point per change (and one at the end) draws the whole step line.
    if (row.bestAfter !== null && (row.bestAfter !== lastBest || row.id === lastId)) {
      points.steps.push({ trial: row.id, best: row.bestAfter });
      lastBest = row.bestAfter;
    }
  }
  return points;
}

/** The colour, x and y encodings the layers share; the legend lists only the categories present. */
function chartEncodings(context: ChartContext): ChartEncodings {
  const { data, domain, lastId } = context;
  const present = new Set(data.rows.map(categoryOf));
  const categories = Object.keys(palette).filter((category) => present.has(category));
  const color = {
    field: "category",
    type: "nominal" as const,
    title: null,
    scale: { domain: categories, range: categories.map((category) => palette[category] ?? "#000") },
    legend: {
      // Outside the plot: inside, it hides trials or labels wherever it goes.
      orient: "right" as const,
    },
  };
  const x = {
    field: "trial",
    type: "quantitative" as const,
    title: "trial",
    scale: { domain: [0, Math.max(1, lastId)], nice: false },
    axis: { format: "d", tickMinStep: 1 },
  };
  const y = {
    field: "y",
    type: "quantitative" as const,
    title: `${data.metric} (${data.direction === "minimize" ? "lower" : "higher"} is better)`,
    scale: { domain, zero: false, nice: false, clamp: true },
  };
  return { color, x, y };
}

/** The baseline's dashed rule across the plot with its value at the right end, if it was measured. */
function baselineLayer(context: ChartContext, { y }: ChartEncodings): Datum | undefined {
  const { data, width, decimals } = context;
  if (data.baseline?.metric === null || data.baseline?.metric === undefined) return undefined;
  return {
    data: {
      values: [
        { y: data.baseline.metric, label: `baseline ${formatMetric(data.baseline.metric, decimals)}` },
      ],
    },
    layer: [
      {
        mark: { type: "rule", color: palette.baseline, strokeDash: [5, 4], opacity: 0.7 },
        encoding: { y },
      },
      {
        mark: {
          type: "text",
          align: "right",
          baseline: "bottom",
          dy: -3,
          color: palette.baseline,
          fontSize: 10,
        },
        encoding: { y, x: { value: width - 4 }, text: { field: "label" } },
      },
    ],
  };
}

/** The layers drawn from the points: the running best's step line, the trials' symbols, the keeps' labels. */
function pointLayers(points: ChartPoints, { color, x, y }: ChartEncodings, metric: string): Datum[] {
  const layers: Datum[] = [];
  if (points.steps.length > 0) {
    layers.push({
      data: { values: points.steps },
      mark: { type: "line", interpolate: "step-after", color: palette.keep, strokeWidth: 1.6, opacity: 0.85 },
      encoding: { x, y: { ...y, field: "best" } },
    });
  }
  layers.push({
    name: "measured",
    data: { values: points.measured },
    mark: { type: "point", filled: true, size: 36, opacity: 0.9 },
    encoding: {
      x,
      y,
      color,
      tooltip: [
        { field: "trial", title: "trial" },
        { field: "status", title: "status" },
        { field: "value", title: metric },
        { field: "description", title: "description" },
      ],
    },
  });
  if (points.unmeasured.length > 0) {
    layers.push({
      name: "unmeasured",
      data: { values: points.unmeasured },
      mark: { type: "point", shape: crossShape, filled: false, size: 40, strokeWidth: 1.6, opacity: 0.9 },
      encoding: {
        x,
        y,
        color,
        tooltip: [
          { field: "trial", title: "trial" },
          { field: "status", title: "status" },
          { field: "description", title: "description" },
        ],
      },
    });
  }
  if (points.texts.length > 0) {
    layers.push({
      data: { values: points.texts },
      mark: {
        type: "text",
        align: "left",
        baseline: "middle",
        angle: 330,
        dx: 6,
        dy: -6,
        fontSize: 9,
        color: "#146c35",
      },
      encoding: { x, y, text: { field: "label" } },
    });
  }
  return layers;
}

/** The vega-lite specification of the progress chart: one symbol per trial, the running best as a step line. */
export function buildProgressChartSpec(data: ReportData, options: ProgressChartOptions = {}): TopLevelSpec {
  const width = options.width ?? 960;
  const height = options.height ?? 380;
  const { domain, worseEdge } = yDomain(data);
  const context: ChartContext = {
    data,
    width,
    domain,
    worseEdge,
    decimals: decimalsFor(data.baseline?.metric ?? data.best?.metric ?? domain[1]),
    lastId: data.rows[data.rows.length - 1]?.id ?? 0,
  };
  const labels = labelled(data, options.maxLabels ?? 30);
  const points = chartPoints(context, labels, options.labelLength ?? 32);
  const encodings = chartEncodings(context);
  const baseline = baselineLayer(context, encodings);
  const layers = [
    ...(baseline === undefined ? [] : [baseline]),
    ...pointLayers(points, encodings, data.metric),
  ];

  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width,
    height,
    background: "white",
    padding: 8,
    title: {
      text: `${data.tag === "" ? "" : `${data.tag}: `}${data.trials} trials, ${data.counts.keep} kept`,
      anchor: "start",
      fontSize: 13,
    },
    config: { font: "sans-serif", view: { stroke: "#ddd" }, axis: { gridColor: "#eee", labelFontSize: 10 } },
    layer: layers,
  };
  return spec as unknown as TopLevelSpec;
}

let libraries: Promise<[typeof import("vega"), typeof import("vega-lite")]> | undefined;

// vega and vega-lite weigh 25 MB; load them only when a chart is drawn, never when the package is imported.
function loadLibraries(): Promise<[typeof import("vega"), typeof import("vega-lite")]> {
  libraries ??= Promise.all([import("vega"), import("vega-lite")]);
  return libraries;
}

/** Starts loading the chart libraries ahead of `renderProgressChart`, e.g. while the ledger and diffs are read. */
export function preloadProgressChart(): void {
  // A failure surfaces when the chart is drawn; here it must not become an unhandled rejection.
  loadLibraries().catch(() => {});
}

/** Renders the progress chart to a standalone SVG string, headlessly (no DOM, no canvas). */
export async function renderProgressChart(
  data: ReportData,
  options: ProgressChartOptions = {},
): Promise<string> {
  return renderVegaLite(buildProgressChartSpec(data, options));
}

/** Renders any vega-lite spec to a standalone SVG string, headlessly; the libraries load on first use. */
export async function renderVegaLite(spec: TopLevelSpec): Promise<string> {
  const [vega, vegaLite] = await loadLibraries();
  const compiled = vegaLite.compile(spec);
  const view = new vega.View(vega.parse(compiled.spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
