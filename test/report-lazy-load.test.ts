import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("loading the report module", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), "autoresearch-lazy-"));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it("does not load vega or vega-lite until a chart is drawn", async () => {
    const log = join(directory, "resolved.log");
    const hooks = join(directory, "hooks.mjs");
    // Module hooks see every module the process resolves, which is the only reliable witness for ESM.
    await writeFile(
      hooks,
      `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/\\/node_modules\\/vega(-lite)?\\//.test(result.url)) appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
  return result;
}
`,
    );
    const register = join(directory, "register.mjs");
    await writeFile(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const entry = pathToFileURL(resolve("src/report/index.ts")).href;
    const script = `
import { existsSync, readFileSync } from "node:fs";
const read = () => (existsSync(${JSON.stringify(log)}) ? readFileSync(${JSON.stringify(log)}, "utf8") : "");
const report = await import(${JSON.stringify(entry)});
const afterImport = read();
const record = { id: 0, tag: "t", kind: "baseline", parent: "a", commit: null, description: "baseline", status: "keep",
  reason: "", metric: 1, metrics: { loss: 1 }, changedFiles: [], run: null, log: null, proposer: { name: "x" },
  durations: { proposeMs: 0, runMs: 0, totalMs: 0 }, startedAt: "2025-01-01T00:00:00Z", endedAt: "2025-01-01T00:00:01Z" };
const svg = await report.renderProgressChart(report.buildReportData([record]));
console.log(JSON.stringify({ afterImport, afterChart: read(), svg: svg.slice(0, 4) }));
`;
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", "--import", pathToFileURL(register).href, "--input-type=module", "-e", script],
      { cwd: resolve("."), encoding: "utf8" },
    );
    const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    expect(result.afterImport).toBe("");
    expect(result.afterChart).toMatch(/node_modules\/vega\//);
    expect(result.afterChart).toMatch(/node_modules\/vega-lite\//);
    expect(result.svg).toBe("<svg");
    expect(await readFile(log, "utf8")).toBe(result.afterChart);
  });
});
