import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, resolveConfig } from "../src/index.js";

describe("the custom-roles example", () => {
  it("runs a hand-written runner and mutator through the loop and improves the metric", () => {
    const output = execFileSync(resolve("node_modules/.bin/tsx"), ["examples/custom-roles/research.ts"], {
      encoding: "utf8",
    });
    const match = /best distance ([\d.]+) \(trial \d+\), from ([\d.]+)/.exec(output);
    expect(match, output).not.toBeNull();
    expect(Number(match?.[1])).toBeLessThan(Number(match?.[2]));
    expect(output).toContain("trial 0  keep");
  });
});

describe("the nanochat example's configuration", () => {
  it("loads, and runs train.py with the example's own uv environment, offline, as the sandbox needs", async () => {
    const loaded = await loadConfig(resolve("examples/nanochat/autoresearch.config.ts"));
    const options = await resolveConfig(loaded.config, loaded.directory);
    expect(options.sandbox).toMatchObject({ mode: "auto", network: false, env: ["HF_HOME", "HF_HUB_CACHE"] });
    const runner = loaded.config.runner as { command: string; env: Record<string, string> };
    expect(runner.command).toBe("uv run --offline --no-sync train.py");
    expect(runner.env.UV_PROJECT_ENVIRONMENT).toBe(resolve("examples/nanochat/.venv"));
    expect(runner.env.HF_HUB_OFFLINE).toBe("1");
  });

  it("reads each run's learning curve from train.py's progress line, for early stopping over the GPUs' slots", async () => {
    const loaded = await loadConfig(resolve("examples/nanochat/autoresearch.config.ts"));
    const options = await resolveConfig(loaded.config, loaded.directory);
    // The line train.py redraws with a carriage return while it trains.
    const line =
      "step 00420 (42.0%) | loss: 3.102100 | lrm: 1.00 | dt: 312ms | tok/sec: 1,680,000 | mfu: 39.9%";
    expect(options.objective.readProgress?.(line)).toEqual({ progress: 42, value: 3.1021 });
    expect(options.earlyStopping).toMatchObject({ minProgress: 30, margin: 0.02 });
    expect(options).toMatchObject({ gpus: "auto", proposeAhead: 2 });
  });
});
