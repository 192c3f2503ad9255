import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("the built package", () => {
  it("is importable by its name, with the mocks under autoresearch/test", () => {
    const script = `
      import * as api from "autoresearch";
      import * as mocks from "autoresearch/test";
      console.log(JSON.stringify({
        api: ["runResearch", "streamResearch", "createCommandRunner", "createMetricObjective", "createLlmMutator",
              "createSearchSpaceMutator", "createPatchQueueMutator", "createJsonlLedger", "isTrialCount", "defineConfig",
              "writeReport", "AutoresearchError", "createPromptfooObjective", "createInspectObjective",
              "createCaseFileObjective", "createPromptfooRunner", "runAblation"].filter((name) => typeof api[name] !== "function"),
        mocks: Object.keys(mocks).sort(),
      }));
    `;
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, NODE_DEBUG: "" },
    });
    const result = JSON.parse(output) as { api: string[]; mocks: string[] };
    expect(result.api).toEqual([]);
    expect(result.mocks).toEqual([
      "MockLedger",
      "MockMutator",
      "MockObjective",
      "MockRunner",
      "createProposeOptions",
      "createTrialRecord",
    ]);
  });

  it("runs the CLI through its bin with --version and --help", () => {
    const version = execFileSync(process.execPath, ["dist/cli.js", "--version"], { encoding: "utf8" }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const help = execFileSync(process.execPath, ["dist/cli.js", "--help"], { encoding: "utf8" });
    expect(help).toContain("autoresearch <command>");
  });
});
