import { readFile } from "node:fs/promises";
import { addSummaries, type CaseReadout, createCaseCollector, isRecord } from "./case-readout.js";

/**
 * Reads a home-made suite's per-case file: JSON Lines, one `{ "id": "…", "pass": true }` or
 * `{ "id": "…", "score": 0.7 }` per attempt (the same id on several lines: several attempts). Gives `pass_rate`
 * (when every line has `pass`), `score` (the mean value, a pass counting 1), `cases`, `attempts`, and for every
 * other numeric field `f` (cost, latency_ms, tokens, …) `f.mean`, `f.total` and `f.max`.
 */
export async function readCaseFile(file: string): Promise<CaseReadout> {
  const text = await readFile(file, "utf8");
  const cases = createCaseCollector();
  const extra = new Map<string, number[]>();
  let attempts = 0;
  let passes = 0;
  let allPassFail = true;
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "") continue;
    const where = `line ${index + 1}`;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch (error) {
      throw new Error(
        `${where}: expected a JSON object, got \`${line.slice(0, 60)}\` (${(error as Error).message})`,
      );
    }
    if (!isRecord(entry))
      throw new Error(`${where}: expected a JSON object such as {"id": "a", "pass": true}`);
    const { id, pass, score, ...rest } = entry;
    if (typeof id !== "string" && typeof id !== "number") {
      throw new Error(
        `${where}: expected \`id\` to be a string or a number, got ${JSON.stringify(id) ?? "nothing"}`,
      );
    }
    let value: number;
    if (typeof pass === "boolean") {
      value = pass ? 1 : 0;
      if (pass) passes++;
    } else if (typeof score === "number" && Number.isFinite(score)) {
      value = score;
      allPassFail = false;
    } else {
      throw new Error(
        `${where}: expected a boolean \`pass\` or a finite number \`score\`, got ${JSON.stringify({ pass, score })}`,
      );
    }
    cases.add(String(id), value);
    attempts++;
    for (const [name, field] of Object.entries(rest)) {
      if (typeof field !== "number") continue;
      const values = extra.get(name);
      if (values === undefined) extra.set(name, [field]);
      else values.push(field);
    }
  }
  if (attempts === 0) throw new Error("the file holds no cases");
  const values = cases.values();
  const metrics: Record<string, number> = {
    cases: cases.size,
    attempts,
    score: values.reduce((sum, value) => sum + value, 0) / values.length,
  };
  if (allPassFail) metrics.pass_rate = passes / attempts;
  for (const [name, list] of extra) addSummaries(metrics, name, list);
  return { cases: cases.toCases(), metrics, nonFinite: {} };
}
