import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { createRepository } from "./helpers/repository.js";

const cli = resolve("dist/cli.js");
const support = await detectBubblewrap();

function repository(sandbox: string): string {
  return createRepository({
    "value.txt": "5\n",
    "value.json": '{ "v": 5 }\n',
    "experiment.js":
      'console.log("score: " + require("node:fs").readFileSync("value.txt", "utf8").trim());\n',
    "autoresearch.config.ts": `export default {
  tag: "box",
  runner: { command: ["node", "experiment.js"], timeoutMs: 30000 },
  objective: { metric: "score", direction: "minimize" },
  mutator: { searchSpace: { file: "value.json", space: { v: { type: "int", min: 1, max: 9 } } } },
  scope: { editable: ["value.json"], protected: ["experiment.js"] },
  sandbox: ${sandbox},
};
`,
  });
}

// A machine without bubblewrap, as far as the driver can tell.
const withoutBubblewrap = { ...process.env, NO_COLOR: "1", AUTORESEARCH_BWRAP: "/nonexistent/bwrap" };

describe("the sandbox setting on a machine without bubblewrap", () => {
  it('refuses to start with `sandbox: "required"` (exit 2), saying how to install bubblewrap, and creates nothing', () => {
    const directory = repository('"required"');
    const result = spawnSync(process.execPath, [cli, "run", "--max-trials", "2"], {
      cwd: directory,
      encoding: "utf8",
      env: withoutBubblewrap,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'Configuration error: The research requires a sandbox (`sandbox: "required"`)',
    );
    expect(result.stderr).toContain("`/nonexistent/bwrap` does not exist");
    expect(result.stderr).toContain("apt-get install bubblewrap");
    expect(
      spawnSync("git", ["branch", "--list", "autoresearch/*"], { cwd: directory, encoding: "utf8" }).stdout,
    ).toBe("");
  });

  it('runs with `sandbox: "auto"`, saying once that it is unsandboxed, in the output and in the report', () => {
    const directory = repository('"auto"');
    const result = spawnSync(process.execPath, [cli, "run", "--max-trials", "3"], {
      cwd: directory,
      encoding: "utf8",
      env: withoutBubblewrap,
    });
    expect(result.status, result.stderr).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output.match(/runs UNSANDBOXED/g)).toHaveLength(1);
    const described = JSON.parse(readFileSync(join(directory, ".autoresearch/box/research.json"), "utf8"));
    expect(described.sandbox).toMatch(/^unsandboxed: `\/nonexistent\/bwrap` does not exist/);
    const report = spawnSync(process.execPath, [cli, "report", "box", "--format", "md"], {
      cwd: directory,
      encoding: "utf8",
      env: withoutBubblewrap,
    });
    expect(report.status, report.stderr).toBe(0);
    expect(readFileSync(join(directory, ".autoresearch/box/report.md"), "utf8")).toContain(
      "| sandbox | unsandboxed: `/nonexistent/bwrap` does not exist |",
    );
  });

  it.skipIf(!support.available && !process.env.CI)(
    "records the bubblewrap version when it is there",
    async () => {
      const directory = repository('"auto"');
      const result = spawnSync(process.execPath, [cli, "run", "--max-trials", "2"], {
        cwd: directory,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
      });
      expect(result.status, result.stderr).toBe(0);
      const described = JSON.parse(readFileSync(join(directory, ".autoresearch/box/research.json"), "utf8"));
      const records = await readLedgerFile(join(directory, ".autoresearch/box/ledger.jsonl"));
      expect(records).toHaveLength(2);
      expect(described.sandbox).toMatch(/^bubblewrap \d+\.\d+/);
    },
  );
});
