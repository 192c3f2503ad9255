import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  addSummaries,
  type CaseReadout,
  createCaseCollector,
  finiteNumber,
  isRecord,
} from "./case-readout.js";

/** What a case's value is: 1 or 0 by promptfoo's `success`, or its `score`. */
export type PromptfooCaseValue = "pass" | "score";

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value;
}

function stableVars(vars: unknown): string {
  if (!isRecord(vars)) return "";
  const sorted = Object.fromEntries(Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)));
  const text = JSON.stringify(sorted);
  return text.length <= 80 ? text : `vars ${createHash("sha256").update(text).digest("hex").slice(0, 12)}`;
}

/**
 * A case's id, the same in every run: the test's `metadata.id`, else its `description`, else its variables.
 * Repeats of a test (`--repeat`) share it, so they count as attempts at one case.
 */
function caseBase(result: Record<string, unknown>): string {
  const testCase = isRecord(result.testCase) ? result.testCase : {};
  const metadata = isRecord(testCase.metadata) ? testCase.metadata : {};
  if (typeof metadata.id === "string" || typeof metadata.id === "number") return String(metadata.id);
  if (typeof testCase.description === "string" && testCase.description !== "") return testCase.description;
  const vars = stableVars(result.vars ?? testCase.vars);
  return vars === "" ? `test ${String(result.testIdx ?? "?")}` : vars;
}

function providerOf(result: Record<string, unknown>): string {
  const provider = result.provider;
  if (isRecord(provider)) return String(provider.label || provider.id || "");
  return typeof provider === "string" ? provider : "";
}

/**
 * Reads the file `promptfoo eval -o results.json` writes: one result per test (per prompt and provider, per
 * repeat), each with `success`, `score` and `namedScores`. Gives per-case values and the metrics `pass_rate`,
 * `score`, `namedScores.<name>` (means), `passes`, `failures`, `errors`, `cases`, `attempts`, and the secondary
 * numbers `cost.*`, `latency_ms.*` (mean, total, max) and `tokens.total` / `tokens.prompt` / `tokens.completion`.
 * With several prompts or providers in one file, a case id gets ` #<prompt index>` or ` @<provider>` appended.
 */
export async function readPromptfooResults(
  file: string,
  caseValue: PromptfooCaseValue,
): Promise<CaseReadout> {
  const data: unknown = JSON.parse(await readFile(file, "utf8"));
  const summary = isRecord(data) ? data.results : undefined;
  const results = isRecord(summary) ? summary.results : undefined;
  if (!Array.isArray(results)) {
    throw new Error(
      `expected promptfoo's output (\`promptfoo eval -o results.json\`): an object whose \`results.results\` is an array, got ${isRecord(summary) ? `\`results.results\` as ${describeType(results)}` : `\`results\` as ${describeType(summary)}`}`,
    );
  }
  const entries = results.filter(isRecord);
  const prompts = new Set(entries.map((result) => result.promptIdx));
  const providers = new Set(entries.map(providerOf));
  const cases = createCaseCollector();
  const named = new Map<string, number[]>();
  const scores: number[] = [];
  const costs: number[] = [];
  const latencies: number[] = [];
  let passes = 0;
  let errors = 0;
  let promptTokens = 0;
  let completionTokens = 0;
  let totalTokens = 0;
  for (const [index, result] of entries.entries()) {
    if (typeof result.success !== "boolean") {
      throw new Error(
        `expected result ${index} of promptfoo's output to have a boolean \`success\`, got ${describeType(result.success)}`,
      );
    }
    let id = caseBase(result);
    if (prompts.size > 1) id += ` #${String(result.promptIdx)}`;
    if (providers.size > 1) id += ` @${providerOf(result)}`;
    const score = finiteNumber(result.score) ?? (result.success ? 1 : 0);
    cases.add(id, caseValue === "pass" ? (result.success ? 1 : 0) : score);
    scores.push(score);
    if (result.success) passes++;
    // promptfoo's failureReason: 1 an assertion failed, 2 the provider or the test errored.
    if (result.failureReason === 2) errors++;
    if (isRecord(result.namedScores)) {
      for (const [name, value] of Object.entries(result.namedScores)) {
        const number = finiteNumber(value);
        if (number === undefined) continue;
        const values = named.get(name);
        if (values === undefined) named.set(name, [number]);
        else values.push(number);
      }
    }
    const cost = finiteNumber(result.cost);
    if (cost !== undefined) costs.push(cost);
    const latency = finiteNumber(result.latencyMs);
    if (latency !== undefined) latencies.push(latency);
    const usage = isRecord(result.tokenUsage)
      ? result.tokenUsage
      : isRecord(result.response) && isRecord(result.response.tokenUsage)
        ? result.response.tokenUsage
        : {};
    promptTokens += finiteNumber(usage.prompt) ?? 0;
    completionTokens += finiteNumber(usage.completion) ?? 0;
    totalTokens += finiteNumber(usage.total) ?? 0;
  }
  const attempts = entries.length;
  const metrics: Record<string, number> = {
    cases: cases.size,
    attempts,
    passes,
    failures: attempts - passes,
    errors,
    "tokens.total": totalTokens,
    "tokens.prompt": promptTokens,
    "tokens.completion": completionTokens,
  };
  if (attempts > 0) {
    metrics.pass_rate = passes / attempts;
    metrics.score = scores.reduce((sum, value) => sum + value, 0) / attempts;
  }
  for (const [name, values] of named) {
    metrics[`namedScores.${name}`] = values.reduce((sum, value) => sum + value, 0) / values.length;
  }
  addSummaries(metrics, "cost", costs);
  addSummaries(metrics, "latency_ms", latencies);
  return { cases: cases.toCases(), metrics, nonFinite: {} };
}
