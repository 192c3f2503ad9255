import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { researchOptionsSchema } from "../loop/research-options.js";
import { configSchema } from "./config-schema.js";
import { loadConfig } from "./load-config.js";
import { resolveConfig } from "./resolve-config.js";

function configFile(body: string): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-config-"));
  mkdirSync(join(directory, "patches"));
  const file = join(directory, "autoresearch.config.mjs");
  writeFileSync(file, `export default ${body};\n`);
  return file;
}

const base = `runner: { command: "node run.js" },
  objective: { metric: "score", direction: "minimize" },
  mutator: { patches: "patches" },
  scope: { editable: ["params.txt"] }`;

async function problems(body: string): Promise<string> {
  try {
    const loaded = await loadConfig(configFile(body));
    await resolveConfig(loaded.config, loaded.directory);
  } catch (error) {
    return (error as Error).message;
  }
  return "";
}

describe("the config file", () => {
  it("accepts every research option, derived from the options' schema", () => {
    const own = Object.keys(researchOptionsSchema.shape).filter((key) => key !== "abortSignal");
    expect(Object.keys(configSchema.shape)).toEqual(expect.arrayContaining([...own, "stop"]));
  });

  it("builds holdout roles from plain data and passes baseline and other options through", async () => {
    const loaded = await loadConfig(
      configFile(`{ ${base},
        holdout: { runner: { command: "node holdout.js" }, objective: { metric: "held", direction: "minimize" }, tolerance: 0.5 },
        baseline: false, repairAttempts: 2, stop: { maxTrials: 4 } }`),
    );
    const options = await resolveConfig(loaded.config, loaded.directory);
    expect(options.baseline).toBe(false);
    expect(options.repairAttempts).toBe(2);
    expect(options.holdout?.tolerance).toBe(0.5);
    expect(options.holdout?.runner.name).toBe("command");
    expect(options.holdout?.objective.metric).toBe("held");
    expect([options.stopWhen].flat()).toHaveLength(1);
  });

  it("refuses unknown keys at every level, naming where they stood and the nearest valid name", async () => {
    const top =
      await problems(`{ ${base}, stop: { maxTrails: 3 }, maxTrials: 3, scope: { editable: ["a"], protect: ["b"] },
      evaluation: { repeat: 2 }, holdout: { runner: { command: "x" }, objective: { metric: "a", direction: "minimize" }, tolerence: 1 } }`);
    expect(top).toContain("Unknown option `stop.maxTrails`: did you mean `maxTrials`?");
    expect(top).toContain("Unknown option `maxTrials`: did you mean `stop.maxTrials`?");
    expect(top).toContain("Unknown option `scope.protect`: did you mean `protected`?");
    expect(top).toContain("Unknown option `evaluation.repeat`: did you mean `repeats`?");
    expect(top).toContain("Unknown option `holdout.tolerence`: did you mean `tolerance`?");
    expect(top).toMatch(/\(in .*autoresearch\.config\.mjs\)$/);

    const runner = await problems(
      `{ ${base.replace('command: "node run.js"', 'command: "node run.js", timeoutMS: 5')} }`,
    );
    expect(runner).toBe("Unknown option `runner.timeoutMS`: did you mean `timeoutMs`?");
    const objective = await problems(
      `{ ${base.replace('direction: "minimize"', 'direction: "minimize", noiseMultiplier: 2')} }`,
    );
    expect(objective).toBe("Unknown option `objective.noiseMultiplier`: did you mean `noiseMultiple`?");
    const mutator = await problems(`{ ${base.replace('{ patches: "patches" }', "{ serchSpace: {} }")} }`);
    expect(mutator).toBe("Unknown option `mutator.serchSpace`: did you mean `searchSpace`?");
    const inside = await problems(
      `{ ${base.replace('{ patches: "patches" }', '{ searchSpace: { file: "a.json", space: { x: { type: "int", min: 0, max: 2 } }, sed: 1 } }')} }`,
    );
    expect(inside).toBe("Unknown option `mutator.searchSpace.sed`: did you mean `seed`?");
  });
});
