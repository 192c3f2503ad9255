import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTrialCount, loadConfig, resolveConfig, runResearch } from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { gitSync } from "./helpers/repository.js";

const support = await detectBubblewrap();
const folders: string[] = [];
afterAll(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

/** The quickstart demo's research on a fresh copy, four trials, with the given sandbox setting. */
async function quickstart(sandbox: "required" | false) {
  const directory = await mkdtemp(join(tmpdir(), "autoresearch-quickstart-"));
  folders.push(directory);
  await cp(resolve("examples/quickstart"), directory, { recursive: true });
  gitSync(directory, "init", "-q", "-b", "main");
  gitSync(directory, "add", "-A");
  gitSync(directory, "commit", "-q", "-m", "quickstart");
  const loaded = await loadConfig(join(directory, "autoresearch.config.ts"));
  const options = await resolveConfig(loaded.config, loaded.directory);
  const summary = await runResearch({ ...options, stopWhen: isTrialCount(4), sandbox });
  return summary.records.map((record) => ({
    status: record.status,
    metric: record.metric,
    description: record.description,
    metrics: record.metrics,
  }));
}

describe.skipIf(!support.available && !process.env.CI)("the quickstart demo in the sandbox", () => {
  it("gives the same trials, numbers and decisions as without it", { timeout: 180_000 }, async () => {
    const confined = await quickstart("required");
    const unconfined = await quickstart(false);
    expect(confined.map((record) => record.status)).not.toContain("crash");
    // Timing and memory figures differ from run to run; everything the research decides on is the same.
    const decided = (records: typeof confined) =>
      records.map(({ status, metric, description, metrics }) => ({
        status,
        metric,
        description,
        metrics: Object.fromEntries(
          Object.entries(metrics).filter(([name]) => !/seconds|_ms$|time|memory/i.test(name)),
        ),
      }));
    expect(decided(confined)).toEqual(decided(unconfined));
    expect(confined[0]?.metric).toBeTypeOf("number");
  });
});
