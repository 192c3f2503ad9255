import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { z } from "zod";
import { LedgerError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import { readLatestFinalEvaluation } from "../ledgers/final-evaluation-file.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { readResearchDescription } from "../ledgers/research-description.js";
import { collectSecrets, redactSecrets } from "../secrets/secret-values.js";
import { renderCurvesChart } from "./curves-chart.js";
import { preloadProgressChart, renderProgressChart } from "./progress-chart.js";
import { renderHtmlDocument } from "./render-html.js";
import { renderJsonReport } from "./render-json.js";
import { renderMarkdownDocument } from "./render-markdown.js";
import { buildReportData } from "./report-data.js";
import { readTrialDiffs } from "./trial-diffs.js";

const writeReportOptionsSchema = z.strictObject({
  directory: z.string().min(1),
  tag: z
    .string()
    .min(1)
    .regex(/^[^/\\]+$/, "a tag without slashes"),
  format: z.enum(["html", "md", "json"]).default("html"),
  output: z.string().min(1).optional(),
  direction: z.enum(["minimize", "maximize"]).optional(),
  metric: z.string().min(1).optional(),
  maxDiffs: z.number().int().min(0).optional(),
  maxDiffLength: z.number().int().positive().optional(),
  chart: z
    .object({
      width: z.number().int().positive().optional(),
      height: z.number().int().positive().optional(),
      maxLabels: z.number().int().min(0).optional(),
      labelLength: z.number().int().positive().optional(),
    })
    .optional(),
  generatedAt: z.date().optional(),
  abortSignal: z.instanceof(AbortSignal).optional(),
});

export type WriteReportOptions = z.input<typeof writeReportOptionsSchema>;

export interface WriteReportResult {
  /** The report itself. */
  file: string;
  /** Every file written: the report, and for markdown the chart beside it. */
  files: string[];
}

const extensions = { html: ".html", md: ".md", json: ".json" } as const;

async function writeFileAtomically(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  // A browser or editor watching the report must never see half of it.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

async function knownTags(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(join(directory, ".autoresearch"), { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/** A proposal may have written a credential into a file; the report shows its diff without it. */
function redactDiffs(diffs: Map<number, string>): Map<number, string> {
  const secrets = collectSecrets();
  if (secrets.length === 0) return diffs;
  return new Map([...diffs].map(([id, diff]) => [id, redactSecrets(diff, secrets)]));
}

/**
 * Writes the report of a research: reads `.autoresearch/<tag>/ledger.jsonl` in `directory`, the trials' diffs from
 * git, and writes `report.html` (one self-contained file), `report.md` with `report.svg` beside it, or
 * `report.json`.
 */
export async function writeReport(options: WriteReportOptions): Promise<WriteReportResult> {
  const parsed = parseOptions(writeReportOptionsSchema, options);
  const { directory, tag, format, abortSignal } = parsed;
  if (format !== "json") preloadProgressChart();
  const researchDirectory = join(directory, ".autoresearch", tag);
  const ledgerFile = join(researchDirectory, "ledger.jsonl");
  const records = await readLedgerFile(ledgerFile);
  if (records.length === 0) {
    const tags = await knownTags(directory);
    const hint = tags.length === 0 ? "no research was found there" : `known tags: ${tags.join(", ")}`;
    throw new LedgerError({ message: `No trials recorded for tag "${tag}" in ${ledgerFile} (${hint})` });
  }
  abortSignal?.throwIfAborted();
  const file = resolve(parsed.output ?? join(researchDirectory, `report${extensions[format]}`));
  const described = await readResearchDescription(researchDirectory);
  const metric = parsed.metric ?? described?.metric;
  const direction = parsed.direction ?? described?.direction;
  const dataOptions = {
    tag,
    ...(metric === undefined ? {} : { metric }),
    ...(direction === undefined ? {} : { direction }),
    ...(described?.sandbox === undefined ? {} : { sandbox: described.sandbox }),
  };

  const finalEvaluation = await readLatestFinalEvaluation(researchDirectory);
  if (format === "json") {
    await writeFileAtomically(file, renderJsonReport(records, dataOptions, finalEvaluation));
    return { file, files: [file] };
  }

  const data = buildReportData(records, dataOptions);
  if (finalEvaluation !== undefined) data.finalEvaluation = finalEvaluation;
  // git reads the diffs in its own process while this one draws the chart.
  const diffs =
    format === "html"
      ? readTrialDiffs({
          directory,
          records,
          ...(parsed.maxDiffs === undefined ? {} : { maxDiffs: parsed.maxDiffs }),
          ...(parsed.maxDiffLength === undefined ? {} : { maxDiffLength: parsed.maxDiffLength }),
          ...(abortSignal === undefined ? {} : { abortSignal }),
        })
      : undefined;
  diffs?.catch(() => {});
  const chartSvg = await renderProgressChart(data, parsed.chart ?? {});
  const curvesSvg = await renderCurvesChart(data);
  abortSignal?.throwIfAborted();

  if (diffs === undefined) {
    const chartFile = join(dirname(file), `${basename(file, extname(file))}.svg`);
    await writeFileAtomically(chartFile, chartSvg);
    if (curvesSvg === undefined) {
      await writeFileAtomically(file, renderMarkdownDocument(data, basename(chartFile)));
      return { file, files: [file, chartFile] };
    }
    const curvesFile = join(dirname(file), `${basename(file, extname(file))}-curves.svg`);
    await writeFileAtomically(curvesFile, curvesSvg);
    await writeFileAtomically(file, renderMarkdownDocument(data, basename(chartFile), basename(curvesFile)));
    return { file, files: [file, chartFile, curvesFile] };
  }

  const html = renderHtmlDocument({
    data,
    records,
    chartSvg,
    curvesSvg,
    diffs: redactDiffs(await diffs),
    generatedAt: parsed.generatedAt,
  });
  await writeFileAtomically(file, html);
  return { file, files: [file] };
}
