import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createPromptfooRunner } from "../src/index.js";

// Stands in for the promptfoo CLI: records its arguments and environment, writes the output file when asked.
const fakeCli = `
const { writeFileSync } = require("node:fs");
const args = process.argv.slice(2);
writeFileSync("argv.json", JSON.stringify({ args, telemetry: process.env.PROMPTFOO_DISABLE_TELEMETRY, extra: process.env.EXTRA }));
if (process.env.WRITE === "1") writeFileSync(args[args.indexOf("-o") + 1], "{}");
process.exit(100);
`;

describe("createPromptfooRunner", () => {
  it("runs promptfoo eval with the suite's configs and flags, and removes the previous results first", async () => {
    const directory = mkdtempSync(join(tmpdir(), "autoresearch-promptfoo-runner-"));
    writeFileSync(join(directory, "fake-promptfoo.cjs"), fakeCli);
    writeFileSync(join(directory, "out.json"), "stale");
    const runner = createPromptfooRunner({
      command: [process.execPath, "fake-promptfoo.cjs"],
      config: ["eval/promptfooconfig.yaml", "/elsewhere/test.yaml"],
      output: "out.json",
      args: ["--filter-metadata", "split=dev"],
      env: { EXTRA: "yes" },
    });
    expect(runner.name).toBe("promptfoo");
    const run = (env: Record<string, string>) =>
      runner.run({
        directory,
        trial: 1,
        logFile: join(directory, "run.log"),
        env,
        abortSignal: new AbortController().signal,
      });

    const first = await run({ WRITE: "0" });
    expect(first.exitCode).toBe(100);
    // A run that writes no results leaves none: the stale file is gone, so it cannot be measured.
    expect(existsSync(join(directory, "out.json"))).toBe(false);
    const recorded = JSON.parse(readFileSync(join(directory, "argv.json"), "utf8"));
    expect(recorded).toEqual({
      args: [
        "eval",
        "-c",
        "eval/promptfooconfig.yaml",
        "/elsewhere/test.yaml",
        "-o",
        "out.json",
        "--no-cache",
        "--no-table",
        "--no-progress-bar",
        "--no-write",
        "--filter-metadata",
        "split=dev",
      ],
      telemetry: "1",
      extra: "yes",
    });
    await run({ WRITE: "1" });
    expect(readFileSync(join(directory, "out.json"), "utf8")).toBe("{}");
  });

  it("refuses options it does not know", () => {
    expect(() => createPromptfooRunner({ configs: "x" } as never)).toThrow(/configs/);
  });
});
