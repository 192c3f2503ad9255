import { execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildJobScript, jobArgv } from "./job-script.js";

function runScript(script: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "autoresearch-job-script-")), "job.sh");
  writeFileSync(file, script);
  return execFileSync("bash", [file], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
}

describe("buildJobScript", () => {
  const directory = realpathSync(mkdtempSync(join(tmpdir(), "autoresearch job's dir-")));

  it("runs a shell command in the directory with the run's environment, quoting survives", () => {
    const script = buildJobScript({
      command: 'printf "%s|%s|%s\\n" "$PWD" "$A" "$B"',
      directory,
      env: { A: "it's $HOME `x`", B: "two\nlines" },
      description: "autoresearch: test",
    });
    expect(script.startsWith("#!/bin/bash\n# autoresearch: test\n")).toBe(true);
    expect(runScript(script)).toBe(`${directory}|it's $HOME \`x\`|two\nlines\n`);
  });

  it("runs an argv array as it is, one word per element", () => {
    const script = buildJobScript({
      command: ["printf", "<%s>", "a b", "'c'", "$D"],
      directory,
      env: {},
      description: "argv",
    });
    expect(runScript(script)).toBe("<a b><'c'><$D>");
  });

  it("lets a wrapper decide the final command line, with the directory and environment at hand", () => {
    const seen: unknown[] = [];
    const script = buildJobScript({
      command: "echo inner",
      directory,
      env: { X: "1" },
      description: "wrapped",
      wrap: (argv, context) => {
        seen.push({ argv, context });
        return ["env", "WRAPPED=yes", ...argv];
      },
    });
    expect(seen).toEqual([{ argv: ["bash", "-c", "echo inner"], context: { directory, env: { X: "1" } } }]);
    expect(script).toContain("exec 'env' 'WRAPPED=yes' 'bash' '-c' 'echo inner'");
    expect(runScript(script)).toBe("inner\n");
    expect(jobArgv(["a"], { directory, env: {} })).toEqual(["a"]);
  });

  it("refuses environment names a shell cannot export", () => {
    expect(() =>
      buildJobScript({ command: "true", directory, env: { "BAD-NAME": "x" }, description: "" }),
    ).toThrow(/got `BAD-NAME`/);
  });
});
