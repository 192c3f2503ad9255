import { describe, expect, it } from "vitest";
import { checkAgentVersion, compareVersions, parseVersion } from "./agent-version.js";

describe("parseVersion and compareVersions", () => {
  it("reads the version each CLI prints", () => {
    expect(parseVersion("2.1.332 (Claude Code)")).toBe("2.1.332");
    expect(parseVersion("codex-cli 0.171.0")).toBe("0.171.0");
    expect(parseVersion("0.24.4\n")).toBe("0.24.4");
    expect(parseVersion("aider v0.86.1")).toBe("0.86.1");
    expect(parseVersion("unknown")).toBeUndefined();
  });

  it("compares numerically, part by part", () => {
    expect(compareVersions("2.1.248", "2.1.332")).toBeLessThan(0);
    expect(compareVersions("0.171.0", "0.160.0")).toBeGreaterThan(0);
    expect(compareVersions("0.10.0", "0.9.9")).toBeGreaterThan(0);
    expect(compareVersions("1.2.3", "1.2.3")).toBe(0);
  });
});

describe("checkAgentVersion", () => {
  const run = (minimumVersion: string) =>
    checkAgentVersion({
      command: { cwd: process.cwd(), env: { PATH: process.env.PATH ?? "" } },
      program: "bash",
      minimumVersion,
      install: "install it",
      abortSignal: new AbortController().signal,
    });

  it("runs `<program> --version` and warns when it is older than the minimum", async () => {
    // `bash --version` prints "GNU bash, version 5.x.y…".
    const check = await run("99.0.0");
    expect(check.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(check.warning).toContain(`\`bash\` is version ${check.version}, older than 99.0.0`);
    expect(check.warning).toContain("install it");
    expect(await run("1.0.0")).toEqual({ version: check.version });
  });

  it("says nothing for a program that is not there: the proposal reports it", async () => {
    const check = await checkAgentVersion({
      command: { cwd: process.cwd(), env: { PATH: "/nonexistent" } },
      program: "no-such-agent",
      minimumVersion: "1.0.0",
      install: "install it",
      abortSignal: new AbortController().signal,
    });
    expect(check).toEqual({});
  });
});
