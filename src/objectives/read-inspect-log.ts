import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  addSummaries,
  type CaseReadout,
  createCaseCollector,
  finiteNumber,
  isRecord,
} from "./case-readout.js";
import { parseJsonAllowingNonFinite } from "./lenient-json.js";

// Inspect's own reading of its score values: CORRECT, INCORRECT, PARTIAL and NOANSWER, and yes/no words.
const letterValues: Record<string, number> = { C: 1, I: 0, P: 0.5, N: 0 };
const wordValues: Record<string, number> = { yes: 1, true: 1, no: 0, false: 0 };

/** A sample's score value as a number: numbers, booleans, Inspect's letters, yes/no words, numeric strings. */
export function inspectValueToNumber(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  const letter = letterValues[value];
  if (letter !== undefined) return letter;
  const word = wordValues[value.trim().toLowerCase()];
  if (word !== undefined) return word;
  const number = value.trim() === "" ? Number.NaN : Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The newest Inspect log (`<timestamp>_<task>_<id>.json`) in a log directory. */
export async function newestInspectLog(directory: string): Promise<string> {
  const names = (await readdir(directory)).filter((name) => /^\d{4}-\d{2}-\d{2}T.*\.json$/.test(name));
  if (names.length === 0) {
    throw new Error(
      `no Inspect log (\`<timestamp>_<task>_<id>.json\`, written with --log-format=json) in ${directory}`,
    );
  }
  const dated = await Promise.all(
    names.map(async (name) => ({ name, modified: (await stat(join(directory, name))).mtimeMs })),
  );
  dated.sort((a, b) => b.modified - a.modified || b.name.localeCompare(a.name));
  return join(directory, (dated[0] as { name: string }).name);
}

interface ScoreEntry {
  name: string;
  scorer: string;
  metrics: Record<string, unknown>;
}

function scoreEntries(results: unknown): ScoreEntry[] {
  if (!isRecord(results) || !Array.isArray(results.scores)) return [];
  return results.scores.filter(isRecord).map((score) => ({
    name: String(score.name ?? score.scorer ?? ""),
    scorer: String(score.scorer ?? score.name ?? ""),
    metrics: isRecord(score.metrics) ? score.metrics : {},
  }));
}

/** A sample's value for a scorer: its own entry, or, for a scorer that returns a dictionary, that key of it. */
function sampleValue(scores: Record<string, unknown>, entry: ScoreEntry): unknown {
  const own = scores[entry.name] ?? scores[entry.scorer];
  if (!isRecord(own)) return undefined;
  const value = own.value;
  if (isRecord(value) && entry.name in value) return value[entry.name];
  return value;
}

/**
 * Reads an Inspect AI log written with `--log-format=json`. The log may hold NaN or Infinity (a metric's stderr
 * over one sample, say): such metrics are reported as not finite. Gives `<scorer>.<metric>` for every metric of
 * `results.scores` (e.g. `match.accuracy`; a bare `accuracy` names the chosen scorer's), per-case values for `scorer` (default: the first) from the samples,
 * one per epoch (or from the epoch reductions when samples were not logged), and `samples`,
 * `completed_samples`, `tokens.total` / `tokens.input` / `tokens.output` from the model usage, `cost.total` when
 * the log has costs, and `latency_ms.*` from the samples' total time.
 */
export async function readInspectLog(file: string, scorer: string | undefined): Promise<CaseReadout> {
  const data = parseJsonAllowingNonFinite(await readFile(file, "utf8"));
  if (!isRecord(data) || !isRecord(data.eval)) {
    throw new Error(
      "expected an Inspect AI eval log (an object with `eval` and `results`), got something else",
    );
  }
  if (data.status !== "success") {
    const error =
      isRecord(data.error) && typeof data.error.message === "string" ? `: ${data.error.message}` : "";
    throw new Error(`the eval's status is \`${String(data.status)}\`, not \`success\`${error}`);
  }
  const entries = scoreEntries(data.results);
  if (entries.length === 0) throw new Error("the eval log has no `results.scores`");
  const chosen =
    scorer === undefined
      ? entries[0]
      : entries.find((entry) => entry.name === scorer || entry.scorer === scorer);
  if (chosen === undefined) {
    throw new Error(
      `no scorer \`${scorer}\` in the eval log (found ${entries.map((entry) => entry.name).join(", ")})`,
    );
  }

  const metrics: Record<string, number> = {};
  const nonFinite: Record<string, string> = {};
  for (const entry of entries) {
    for (const [name, metric] of Object.entries(entry.metrics)) {
      const value = isRecord(metric) ? metric.value : undefined;
      if (typeof value !== "number") continue;
      if (Number.isFinite(value)) metrics[`${entry.name}.${name}`] = value;
      else nonFinite[`${entry.name}.${name}`] = String(value);
    }
  }
  const results = data.results as Record<string, unknown>;
  const total = finiteNumber(results.total_samples);
  const completed = finiteNumber(results.completed_samples);
  if (total !== undefined) metrics.samples = total;
  if (completed !== undefined) metrics.completed_samples = completed;

  const cases = createCaseCollector();
  const latencies: number[] = [];
  let unscored = 0;
  let erroredSamples = 0;
  if (Array.isArray(data.samples)) {
    for (const sample of data.samples.filter(isRecord)) {
      const value = isRecord(sample.scores)
        ? inspectValueToNumber(sampleValue(sample.scores, chosen))
        : undefined;
      // A sample whose solver raised (allowed by `--fail-on-error`) has no score: it failed, and a change that
      // makes samples raise must count as breaking them, not drop them from the comparison.
      const errored = sample.error !== undefined && sample.error !== null && sample.error !== "";
      if (value !== undefined) cases.add(String(sample.id), value);
      else if (errored) {
        cases.add(String(sample.id), 0);
        erroredSamples++;
      } else unscored++;
      const time = finiteNumber(sample.total_time);
      if (time !== undefined) latencies.push(time * 1000);
    }
  } else if (Array.isArray(data.reductions)) {
    const reduction = data.reductions
      .filter(isRecord)
      .find((candidate) => candidate.scorer === chosen.scorer || candidate.scorer === chosen.name);
    for (const sample of Array.isArray(reduction?.samples) ? reduction.samples.filter(isRecord) : []) {
      const value = inspectValueToNumber(isRecord(sample.value) ? sample.value[chosen.name] : sample.value);
      if (value === undefined) unscored++;
      else cases.add(String(sample.sample_id), value);
    }
  }
  metrics.cases = cases.size;
  metrics.unscored = unscored;
  metrics.errors = erroredSamples;
  addSummaries(metrics, "latency_ms", latencies);

  const usage = isRecord(data.stats) && isRecord(data.stats.model_usage) ? data.stats.model_usage : {};
  let input = 0;
  let output = 0;
  let tokens = 0;
  let cost: number | undefined;
  for (const model of Object.values(usage).filter(isRecord)) {
    input += finiteNumber(model.input_tokens) ?? 0;
    output += finiteNumber(model.output_tokens) ?? 0;
    tokens += finiteNumber(model.total_tokens) ?? 0;
    const spent = finiteNumber(model.total_cost);
    if (spent !== undefined) cost = (cost ?? 0) + spent;
  }
  if (Object.keys(usage).length > 0) {
    metrics["tokens.total"] = tokens;
    metrics["tokens.input"] = input;
    metrics["tokens.output"] = output;
  }
  if (cost !== undefined) metrics["cost.total"] = cost;

  return { cases: cases.toCases(), metrics, nonFinite, metricPrefix: chosen.name };
}
