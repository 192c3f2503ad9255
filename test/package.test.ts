import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("the built package", () => {
  it("is importable by its name, with the mocks under autoresearch/test", () => {
    const script = `
      import * as api from "autoresearch";
      import * as mocks from "autoresearch/test";
      console.log(JSON.stringify({
        api: ["runResearch", "streamResearch", "createCommandRunner", "createMetricObjective", "createLlmMutator",
              "createSearchSpaceMutator", "createPatchQueueMutator", "createJsonlLedger", "isTrialCount", "defineConfig",
              "createSlurmRunner", "createPromptfooObjective", "createInspectObjective",
              "createCaseFileObjective", "createPromptfooRunner", "runAblation",
              "writeReport", "AutoresearchError"].filter((name) => typeof api[name] !== "function"),
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

  it("has a lockfile that matches package.json: npm install would not rewrite it", () => {
    const copy = mkdtempSync(join(tmpdir(), "autoresearch-lock-"));
    for (const file of ["package.json", "package-lock.json", ".npmrc"]) copyFileSync(file, join(copy, file));
    execFileSync(
      "npm",
      ["install", "--package-lock-only", "--ignore-scripts", "--offline", "--no-audit", "--no-fund"],
      {
        cwd: copy,
        stdio: "ignore",
      },
    );
    expect(readFileSync(join(copy, "package-lock.json"), "utf8")).toBe(
      readFileSync("package-lock.json", "utf8"),
    );
  });

  it("ships a license, the built files and the examples", () => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { encoding: "utf8" }),
    ) as { files: { path: string }[] }[];
    const files = packed?.files.map((file) => file.path) ?? [];
    expect(files).toEqual(
      expect.arrayContaining(["LICENSE", "dist/cli.js", "dist/index.js", "examples/quickstart/train.js"]),
    );
    expect(readFileSync("LICENSE", "utf8")).toContain("Copyright (c) 2026 autoresearch contributors");
  });
});
