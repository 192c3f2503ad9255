import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, resolveConfig } from "../src/index.js";

function configFile(text: string): string {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-config-"));
  const file = join(directory, "autoresearch.config.ts");
  writeFileSync(file, text);
  return file;
}

describe("eval suites in a config file", () => {
  it("builds promptfoo, Inspect and case-file roles, a holdout and a sealed test from plain data", async () => {
    const good = await loadConfig(
      configFile(`export default {
        runner: { promptfoo: { args: ["--filter-metadata", "split=dev"] } },
        objective: { promptfoo: { passK: 2 } },
        mutator: { searchSpace: { file: "p.json", space: { x: { type: "int", min: 0, max: 3 } } } },
        scope: { editable: ["p.json"] },
        holdout: { runner: { command: "inspect eval task.py" }, objective: { inspect: { scorer: "match" } }, tolerance: 0.05 },
        finalEvaluation: { runner: { command: "node suite.js test" }, objective: { caseFile: { file: "test.jsonl" } }, repeats: 3 },
      };`),
    );
    const options = await resolveConfig(good.config, good.directory);
    expect(options.runner.name).toBe("promptfoo");
    expect(options.objective).toMatchObject({
      name: "promptfoo",
      metric: "pass_rate",
      measuredExitCodes: [100],
    });
    expect(options.holdout).toMatchObject({
      runner: { name: "command" },
      objective: { name: "inspect" },
      tolerance: 0.05,
    });
    expect(options.finalEvaluation).toMatchObject({
      runner: { name: "command" },
      objective: { name: "case-file", metric: "score" },
      repeats: 3,
    });
  });

  it("names the offending field of a declared eval objective", async () => {
    const loaded = await loadConfig(
      configFile(`export default {
        runner: { command: "true" },
        objective: { promptfoo: { caseValue: "grade" } },
        mutator: { searchSpace: { file: "p.json", space: { x: { type: "int", min: 0, max: 3 } } } },
        scope: { editable: ["p.json"] },
      };`),
    );
    await expect(resolveConfig(loaded.config, loaded.directory)).rejects.toThrow(
      /objective\.promptfoo\.caseValue/,
    );
  });
});
