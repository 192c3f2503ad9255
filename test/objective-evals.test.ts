import { copyFile, mkdtemp, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { Objective, RunResult } from "../src/index.js";
import { createCaseFileObjective, createInspectObjective, createPromptfooObjective } from "../src/index.js";

const fixtures = resolve("test/fixtures/evals");
const inspectLog = "2026-11-30T09-12-44+00-00_ticket-routing_Z3TpxvWDHd4oAQiTFbpW6M.json";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "autoresearch-evals-"));
});

function run(exitCode = 0): RunResult {
  return {
    exitCode,
    signal: null,
    durationMs: 10,
    timedOut: false,
    interrupted: false,
    logFile: join(directory, "run.log"),
    outputTail: "",
  };
}

const measure = (objective: Objective, exitCode = 0) =>
  objective.measure({ run: run(exitCode), directory, abortSignal: new AbortController().signal });

describe("the promptfoo objective", () => {
  it("reads promptfoo's results.json: pass rate, per-case attempts, named scores and secondary numbers", async () => {
    await copyFile(join(fixtures, "promptfoo", "results.json"), join(directory, "results.json"));
    const objective = createPromptfooObjective();
    expect(objective.metric).toBe("pass_rate");
    expect(objective.measuredExitCodes).toEqual([100]);
    const measurement = await measure(objective, 100);
    // 4 tests, each repeated twice: the refund and password tests pass, shipping fails, the empty one errors.
    expect(measurement.value).toBe(0.5);
    expect(measurement.cases).toEqual({
      "refund request": [1, 1],
      "password reset": [1, 1],
      "ship-1": [0, 0],
      "empty ticket": [0, 0],
    });
    expect(measurement.metrics).toMatchObject({
      cases: 4,
      attempts: 8,
      passes: 4,
      failures: 4,
      errors: 2,
      "namedScores.routing": 2 / 3,
      "namedScores.format": 1,
      "tokens.total": 180,
      "tokens.prompt": 120,
      "tokens.completion": 60,
    });
    expect(measurement.metrics["cost.total"]).toBeCloseTo(0.0024, 10);
    expect(measurement.metrics["latency_ms.mean"]).toBeGreaterThanOrEqual(0);
    expect(measurement.error).toBeUndefined();
  });

  it("uses scores as case values, pass^k as a metric, and constraints on the secondary numbers", async () => {
    await copyFile(join(fixtures, "promptfoo", "results.json"), join(directory, "out.json"));
    const objective = createPromptfooObjective({
      file: "out.json",
      caseValue: "score",
      passK: 2,
      constraints: { "cost.total": { max: 0.001 }, "tokens.total": { max: 100 } },
    });
    expect(objective.metric).toBe("score");
    const measurement = await measure(objective);
    expect(measurement.cases?.["ship-1"]).toEqual([0.5, 0.5]);
    expect(measurement.value).toBeCloseTo((1 + 1 + 0.5 + 0) / 4, 12);
    // pass^2: the two cases that passed both attempts.
    expect(measurement.metrics["pass^2"]).toBe(0.5);
    expect(measurement.violations).toEqual(["cost.total 0.0024 > 0.001", "tokens.total 180 > 100"]);
  });

  it("says what is wrong with a missing or foreign file instead of crashing", async () => {
    const missing = await measure(createPromptfooObjective());
    expect(missing.value).toBeUndefined();
    expect(missing.error).toBe("cannot read promptfoo's results.json: no such file");
    await writeFile(join(directory, "results.json"), JSON.stringify({ results: { table: [] } }));
    const foreign = await measure(createPromptfooObjective());
    expect(foreign.error).toContain("`results.results` is an array, got `results.results` as undefined");
  });

  it("rejects unknown options with the field's name", () => {
    expect(() => createPromptfooObjective({ fil: "x" } as never)).toThrow(/fil/);
    expect(() => createPromptfooObjective({ caseValue: "grade" as never })).toThrow(/caseValue/);
  });
});

describe("the Inspect objective", () => {
  it("reads a JSON log with NaN in it: the scorer's metrics, per-sample epochs, usage and cost", async () => {
    await copyFile(join(fixtures, "inspect", inspectLog), join(directory, "log.json"));
    const measurement = await measure(createInspectObjective({ file: "log.json" }));
    expect(measurement.value).toBe(0.625);
    expect(measurement.metrics["match.accuracy"]).toBe(0.625);
    expect(measurement.metrics["match.stderr"]).toBeCloseTo(0.2393567769, 9);
    // The judge's mean is NaN in the file: not a metric, and not a crash.
    expect(measurement.metrics["judge.mean"]).toBeUndefined();
    expect(measurement.cases).toEqual({ "1": [1, 1], "2": [1, 0], "3": [0, 0], "4": [1, 1] });
    expect(measurement.metrics).toMatchObject({
      samples: 8,
      completed_samples: 8,
      cases: 4,
      "tokens.total": 384,
      "tokens.input": 320,
      "tokens.output": 64,
      "cost.total": 0.0021,
    });
    expect(measurement.metrics["latency_ms.mean"]).toBeCloseTo(445, 6);
  });

  it("reports a NaN metric as not finite when it is the one optimized, and skips NaN sample values", async () => {
    await copyFile(join(fixtures, "inspect", inspectLog), join(directory, "log.json"));
    const judge = await measure(
      createInspectObjective({ file: "log.json", scorer: "judge", metric: "mean" }),
    );
    expect(judge.value).toBeUndefined();
    expect(judge.error).toBe("`mean` is NaN in the Inspect log log.json, not a finite number");
    // Sample 3's second epoch was graded NaN: that attempt is left out.
    expect(judge.cases?.["3"]).toEqual([0.9]);
    expect(judge.metrics.unscored).toBe(1);
  });

  it("counts a sample whose solver raised as a failed case, not as one left out", async () => {
    const log = {
      eval: { task: "ticket-routing" },
      status: "success",
      results: {
        total_samples: 3,
        completed_samples: 2,
        scores: [{ name: "match", scorer: "match", metrics: { accuracy: { name: "accuracy", value: 1 } } }],
      },
      samples: [
        { id: 1, epoch: 1, scores: { match: { value: "C" } } },
        { id: 2, epoch: 1, scores: { match: { value: "C" } } },
        { id: 3, epoch: 1, error: { message: "RuntimeError: the tool crashed", traceback: "…" } },
      ],
    };
    await writeFile(join(directory, "log.json"), JSON.stringify(log));
    const measurement = await measure(createInspectObjective({ file: "log.json" }));
    expect(measurement.cases).toEqual({ "1": [1], "2": [1], "3": [0] });
    expect(measurement.metrics).toMatchObject({ errors: 1, unscored: 0 });
  });

  it("picks the newest log of a log directory and falls back to the epoch reductions without samples", async () => {
    await import("node:fs/promises").then(({ mkdir }) => mkdir(join(directory, "logs")));
    const older = join(directory, "logs", "2026-11-29T08-00-00+00-00_ticket-routing_old.json");
    await copyFile(join(fixtures, "inspect", "failed.json"), older);
    await utimes(older, new Date("2026-11-29"), new Date("2026-11-29"));
    await copyFile(join(fixtures, "inspect", "headers-only.json"), join(directory, "logs", inspectLog));
    const measurement = await measure(createInspectObjective());
    expect(measurement.value).toBe(0.625);
    expect(measurement.cases).toEqual({ "1": [1], "2": [0.5], "3": [0], "4": [1] });
  });

  it("turns a failed eval into a measurement error that names the status", async () => {
    await copyFile(join(fixtures, "inspect", "failed.json"), join(directory, "log.json"));
    const measurement = await measure(createInspectObjective({ file: "log.json" }));
    expect(measurement.error).toBe(
      "cannot read the Inspect log log.json: the eval's status is `error`, not `success`: RuntimeError: the model server is down",
    );
    expect(() => createInspectObjective({ file: "a.json", logDirectory: "logs" })).toThrow(/not both/);
  });
});

describe("the case-file objective", () => {
  it("reads pass/fail lines and extra numbers, and explains a bad line", async () => {
    await writeFile(
      join(directory, "cases.jsonl"),
      [
        '{"id": "a", "pass": true, "cost": 0.01, "latency_ms": 120}',
        '{"id": "b", "pass": false, "cost": 0.02, "latency_ms": 80}',
        "",
        '{"id": 3, "pass": true, "cost": 0.03, "latency_ms": 100}',
      ].join("\n"),
    );
    const objective = createCaseFileObjective({
      file: "cases.jsonl",
      constraints: { "latency_ms.max": { max: 100 } },
    });
    const measurement = await measure(objective);
    expect(measurement.value).toBeCloseTo(2 / 3, 12);
    expect(measurement.metrics.pass_rate).toBeCloseTo(2 / 3, 12);
    expect(measurement.cases).toEqual({ a: [1], b: [0], "3": [1] });
    expect(measurement.metrics["cost.total"]).toBeCloseTo(0.06, 12);
    expect(measurement.metrics["latency_ms.mean"]).toBe(100);
    expect(measurement.violations).toEqual(["latency_ms.max 120 > 100"]);

    await writeFile(join(directory, "cases.jsonl"), '{"id": "a", "score": 0.5}\n{"id": "b"}\n');
    const bad = await measure(objective);
    expect(bad.error).toBe(
      "cannot read cases.jsonl: line 2: expected a boolean `pass` or a finite number `score`, got {}",
    );
  });

  it("keeps ids such as __proto__ as ordinary cases", async () => {
    await writeFile(
      join(directory, "cases.jsonl"),
      '{"id": "__proto__", "score": 0.25}\n{"id": "constructor", "score": 1}\n',
    );
    const measurement = await measure(createCaseFileObjective({ file: "cases.jsonl" }));
    expect(Object.keys(measurement.cases ?? {})).toEqual(["__proto__", "constructor"]);
    expect(Object.getOwnPropertyDescriptor(measurement.cases, "__proto__")?.value).toEqual([0.25]);
    expect(measurement.value).toBe(0.625);
  });
});
