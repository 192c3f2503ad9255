import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createMetricObjective,
  isTrialCount,
  type ProposeOptions,
  runResearch,
  writeReport,
} from "../src/index.js";
import { MockMutator, MockRunner } from "../src/testing/index.js";
import { createRepository } from "./helpers/repository.js";

const secret = "s3cret-user-value-42";

describe("secrets the research knows of", () => {
  it("reach no record, event, repair request or proposer input, whatever the runner and the mutator return", async () => {
    const directory = createRepository({ "params.txt": "0\n" });
    const seen: ProposeOptions[] = [];
    const mutator = new MockMutator({
      propose: (options) => {
        seen.push(options);
        return { files: { "params.txt": `${seen.length}\n` }, description: `try ${secret}` };
      },
    });
    const runner = new MockRunner({
      run: (options) =>
        options.trial === 1
          ? { output: `Traceback: token=${secret}\n`, exitCode: 1 }
          : `score: ${10 - options.trial}\nkey ${secret}\n`,
    });
    // An objective whose error message echoes what it read (the secret, on the last trial).
    const metric = createMetricObjective({ metric: "score", direction: "minimize" });
    const objective = {
      ...metric,
      measure: async (options: Parameters<typeof metric.measure>[0]) => {
        if (readFileSync(options.run.logFile, "utf8").startsWith("score: 7")) {
          throw new Error(`cannot parse the line with ${secret}`);
        }
        return metric.measure(options);
      },
    };
    const events: unknown[] = [];
    const summary = await runResearch({
      directory,
      tag: "secrets",
      mutator,
      runner,
      objective,
      scope: { editable: ["params.txt"], protected: [] },
      stopWhen: isTrialCount(4),
      repairAttempts: 1,
      secrets: [secret],
      sandbox: false,
      onEvent: (event) => events.push(event),
    });
    expect(summary.records.map((record) => [record.kind, record.status])).toEqual([
      ["baseline", "keep"],
      ["proposal", "crash"],
      ["repair", "keep"],
      ["proposal", "crash"],
    ]);
    expect(summary.records[3]?.reason).toBe("the objective failed: cannot parse the line with [redacted]");
    expect(seen[1]?.repair?.logTail).toBe("Traceback: token=[redacted]");
    expect(summary.best?.description).toBe("try [redacted]");
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(summary)).not.toContain(secret);
    expect(
      JSON.stringify(seen.map((options) => [options.history, options.incumbent, options.repair])),
    ).not.toContain(secret);
    for (const file of ["ledger.jsonl", "results.tsv"]) {
      expect(readFileSync(join(directory, ".autoresearch/secrets", file), "utf8")).not.toContain(secret);
    }
  });
});

describe("the report", () => {
  it("shows a diff that holds a credential of the environment without it", async () => {
    const key = "report-key-0123456789abcdef";
    const directory = createRepository({ "params.txt": "0\n" });
    await runResearch({
      directory,
      tag: "report",
      mutator: new MockMutator({
        propose: [{ files: { "params.txt": `1 # ${key}\n` }, description: "leak it" }],
      }),
      runner: new MockRunner({ run: (options) => `score: ${10 - options.trial}\n` }),
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      scope: { editable: ["params.txt"], protected: [] },
      stopWhen: isTrialCount(2),
      sandbox: false,
    });
    process.env.REPORT_TEST_API_KEY = key;
    try {
      const { file } = await writeReport({ directory, tag: "report", format: "html" });
      const html = readFileSync(file, "utf8");
      expect(html).toContain("params.txt");
      expect(html).not.toContain(key);
    } finally {
      delete process.env.REPORT_TEST_API_KEY;
    }
  });
});
