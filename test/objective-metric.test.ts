import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors/autoresearch-error.js";
import { createMetricObjective, type MetricObjectiveOptions } from "../src/objectives/metric-objective.js";
import type { RunResult } from "../src/spec/records.js";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "autoresearch-objective-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

// The summary autoresearch's train.py prints at the end of a run.
const summaryBlock = [
  "step 00953 (100.0%) | loss: 3.012345 | lrm: 0.00 | dt: 314ms | tok/sec: 1,670,000 | mfu: 39.8% | epoch: 1",
  "---",
  "val_bpb:          0.997900",
  "training_seconds: 300.1",
  "total_seconds:    325.9",
  "peak_vram_mb:     45060.2",
  "mfu_percent:      39.80",
  "total_tokens_M:   499.6",
  "num_steps:        953",
  "num_params_M:     50.3",
  "depth:            8",
  "",
].join("\n");

async function measure(options: MetricObjectiveOptions, log: string | Buffer) {
  const logFile = join(directory, "run.log");
  await writeFile(logFile, log);
  const run: RunResult = {
    exitCode: 0,
    signal: null,
    durationMs: 1,
    timedOut: false,
    interrupted: false,
    logFile,
    outputTail: "",
  };
  return createMetricObjective(options).measure({
    run,
    directory,
    abortSignal: new AbortController().signal,
  });
}

const valBpb = { metric: "val_bpb", direction: "minimize" } as const;

describe("measure with the summary source", () => {
  it("reads every `name: value` line of autoresearch's summary block", async () => {
    const measurement = await measure(valBpb, summaryBlock);
    expect(measurement.value).toBe(0.9979);
    expect(measurement.error).toBeUndefined();
    expect(measurement.violations).toEqual([]);
    expect(measurement.metrics).toEqual({
      val_bpb: 0.9979,
      training_seconds: 300.1,
      total_seconds: 325.9,
      peak_vram_mb: 45060.2,
      mfu_percent: 39.8,
      total_tokens_M: 499.6,
      num_steps: 953,
      num_params_M: 50.3,
      depth: 8,
    });
  });

  it("lets the last value printed win", async () => {
    const log = "val_bpb: 1.5\nsomething else\nval_bpb: 1.2\n" + summaryBlock;
    expect((await measure(valBpb, log)).value).toBe(0.9979);
    expect((await measure(valBpb, `${summaryBlock}val_bpb: 0.5\n`)).value).toBe(0.5);
  });

  it("reads lines ended by \\r, with colour codes, and a last line without a newline", async () => {
    const log = "step 1\rstep 2\r\x1b[32mval_bpb: 0.9\x1b[0m\r\nloss: 2e-3";
    const measurement = await measure(valBpb, log);
    expect(measurement.value).toBe(0.9);
    expect(measurement.metrics.loss).toBe(0.002);
  });

  it("does not take numbers from lines that are not `name: value`", async () => {
    const log = "step 00953 | val_bpb: 0.5 | loss: 3\nval_bpb: 0.9 extra\n";
    const measurement = await measure(valBpb, log);
    expect(measurement.value).toBeUndefined();
    expect(measurement.metrics).toEqual({});
  });

  it("reports a missing metric, saying what was expected and what was found", async () => {
    const measurement = await measure(
      valBpb,
      "Traceback (most recent call last):\nloss: 3.2\nCUDA out of memory\n",
    );
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toBe("no `val_bpb: <number>` line in the output (found loss)");
  });

  it("reports NaN and infinite values, even when printed last over a finite one", async () => {
    const nan = await measure(valBpb, "val_bpb: 0.99\nval_bpb: nan\n");
    expect(nan.value).toBeUndefined();
    expect(nan.error).toContain("`val_bpb` is nan");
    expect(nan.metrics).toEqual({});
    const infinite = await measure(valBpb, "val_bpb: -inf\n");
    expect(infinite.value).toBeUndefined();
    expect(infinite.error).toContain("-inf");
  });

  it("survives bytes that are not UTF-8 and very long lines", async () => {
    const log = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from("x".repeat(300_000)),
      Buffer.from("\nval_bpb: 0.97\n"),
    ]);
    expect((await measure(valBpb, log)).value).toBe(0.97);
  });

  it("reports a log that cannot be read as an error, not an exception", async () => {
    const objective = createMetricObjective(valBpb);
    const measurement = await objective.measure({
      run: {
        exitCode: 1,
        signal: null,
        durationMs: 1,
        timedOut: false,
        interrupted: false,
        logFile: join(directory, "missing.log"),
        outputTail: "",
      },
      directory,
      abortSignal: new AbortController().signal,
    });
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toContain("cannot read the log");
  });
});

it("measure stops on abort", async () => {
  const logFile = join(directory, "run.log");
  await writeFile(logFile, summaryBlock);
  const controller = new AbortController();
  controller.abort();
  const objective = createMetricObjective(valBpb);
  const run: RunResult = {
    exitCode: 0,
    signal: null,
    durationMs: 1,
    timedOut: false,
    interrupted: false,
    logFile,
    outputTail: "",
  };
  await expect(objective.measure({ run, directory, abortSignal: controller.signal })).rejects.toThrow(
    /abort/i,
  );
});

describe("measure with the regex source", () => {
  it("reads the first capture group, last match winning, and still collects summary lines", async () => {
    const log = "eval accuracy=0.50\neval accuracy=0.75\npeak_vram_mb: 1000\n";
    const measurement = await measure(
      { metric: "accuracy", direction: "maximize", source: { type: "regex", pattern: "accuracy=(\\S+)" } },
      log,
    );
    expect(measurement.value).toBe(0.75);
    expect(measurement.metrics).toEqual({ accuracy: 0.75, peak_vram_mb: 1000 });
  });

  it("prefers the group named `value`, and accepts a RegExp with the global flag", async () => {
    const measurement = await measure(
      {
        metric: "ns_per_op",
        direction: "minimize",
        source: { type: "regex", pattern: /Benchmark(\w+)\s+\d+\s+(?<value>[\d.]+) ns\/op/g },
      },
      "BenchmarkParse  1000  512.5 ns/op\nBenchmarkParse  1000  498.25 ns/op\n",
    );
    expect(measurement.value).toBe(498.25);
  });

  it("ignores a summary line of the same name: the pattern alone decides", async () => {
    const measurement = await measure(
      { metric: "val_bpb", direction: "minimize", source: { type: "regex", pattern: "final bpb (\\S+)" } },
      "val_bpb: 0.1\n",
    );
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toBe("no line matching /final bpb (\\S+)/ in the output");
    expect(measurement.metrics).toEqual({});
  });

  it("reports a match that is not a finite number", async () => {
    const measurement = await measure(
      { metric: "loss", direction: "minimize", source: { type: "regex", pattern: "loss=(\\S+)" } },
      "loss=NaN\n",
    );
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toContain("matched `NaN`, which is not a finite number");
  });
});

describe("measure with the JSON source", () => {
  it("reads a flat or nested object, relative to the run directory, and fills in from the log", async () => {
    await writeFile(
      join(directory, "metrics.json"),
      JSON.stringify({ accuracy: 0.91, eval: { f1: 0.8, detail: { n: 200 } }, note: "text", list: [1, 2] }),
    );
    const measurement = await measure(
      { metric: "eval.f1", direction: "maximize", source: { type: "json", file: "metrics.json" } },
      "eval.f1: 0.1\npeak_vram_mb: 512\n",
    );
    expect(measurement.value).toBe(0.8);
    expect(measurement.metrics).toEqual({
      accuracy: 0.91,
      "eval.f1": 0.8,
      "eval.detail.n": 200,
      peak_vram_mb: 512,
    });
  });

  it("reads the NaN that Python's json.dump writes, as a non-finite metric", async () => {
    await writeFile(join(directory, "metrics.json"), '{"loss": NaN, "accuracy": 0.5, "best": -Infinity}');
    const measurement = await measure(
      { metric: "loss", direction: "minimize", source: { type: "json", file: "metrics.json" } },
      "",
    );
    expect(measurement.value).toBeUndefined();
    expect(measurement.error).toContain("`loss` is NaN");
    expect(measurement.metrics).toEqual({ accuracy: 0.5 });
  });

  it("reports a missing file, a missing metric and broken JSON", async () => {
    const options = {
      metric: "accuracy",
      direction: "maximize",
      source: { type: "json", file: "out/m.json" },
    } as const;
    expect((await measure(options, "accuracy: 0.9\n")).error).toBe(
      "cannot read out/m.json in the run directory: no such file",
    );
    await writeFile(join(directory, "m.json"), '{"loss": 1}');
    const missing = await measure({ ...options, source: { type: "json", file: "m.json" } }, "");
    expect(missing.error).toBe("no number `accuracy` in m.json (found loss)");
    await writeFile(join(directory, "m.json"), '{"accuracy": ');
    const broken = await measure({ ...options, source: { type: "json", file: "m.json" } }, "");
    expect(broken.value).toBeUndefined();
    expect(broken.error).toContain("cannot read m.json");
  });
});

describe("constraints", () => {
  it("lists each violated bound, and a constrained metric that is missing", async () => {
    const measurement = await measure(
      {
        ...valBpb,
        constraints: {
          peak_vram_mb: { max: 40000 },
          mfu_percent: { min: 10, max: 100 },
          num_steps: { min: 1000 },
          tokens_per_second: { min: 1 },
        },
      },
      summaryBlock,
    );
    expect(measurement.value).toBe(0.9979);
    expect(measurement.violations).toEqual([
      "peak_vram_mb 45060.2 > 40000",
      "num_steps 953 < 1000",
      "tokens_per_second missing (expected >= 1)",
    ]);
  });
});

describe("options", () => {
  it("are validated, naming the field", () => {
    expect(() => createMetricObjective({ metric: "", direction: "minimize" })).toThrow(/`metric`/);
    expect(() => createMetricObjective({ metric: "x", direction: "down" as "minimize" })).toThrow(
      ConfigurationError,
    );
    expect(() =>
      createMetricObjective({
        metric: "x",
        direction: "minimize",
        source: { type: "regex", pattern: "x=\\d+" },
      }),
    ).toThrow(/capture group/);
    expect(() =>
      createMetricObjective({ metric: "x", direction: "minimize", source: { type: "regex", pattern: "(" } }),
    ).toThrow(/`source.pattern`/);
    expect(() =>
      createMetricObjective({ metric: "x", direction: "minimize", constraints: { y: {} } }),
    ).toThrow(/`constraints.y`/);
    expect(() =>
      createMetricObjective({ metric: "x", direction: "minimize", constraints: { y: { min: 2, max: 1 } } }),
    ).toThrow(/at most/);
    expect(() => createMetricObjective({ metric: "x", direction: "minimize", minImprovement: -1 })).toThrow(
      /`minImprovement`/,
    );
    expect(() =>
      createMetricObjective({ metric: "x", direction: "minimize", decision: { rule: "welch", alpha: 1.5 } }),
    ).toThrow(/`decision.alpha`/);
  });
});
