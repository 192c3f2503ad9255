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
});
