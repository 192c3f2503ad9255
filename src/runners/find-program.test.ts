import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeMissingProgram, findProgram, programOfShellCommand } from "./find-program.js";

describe("programOfShellCommand", () => {
  it("reads the program of a simple command, past assignments, quotes and known variables", () => {
    expect(programOfShellCommand("uv run train.py")).toBe("uv");
    expect(programOfShellCommand("  FOO=1 BAR='a b' python3 -u x.py")).toBe("python3");
    expect(programOfShellCommand("./run.sh --fast")).toBe("./run.sh");
    expect(programOfShellCommand('"$ROOT/.venv/bin/python" x.py', { ROOT: "/r s" })).toBe(
      "/r s/.venv/bin/python",
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable, not a template.
    expect(programOfShellCommand("${ROOT}/bin/x", { ROOT: "/r" })).toBe("/r/bin/x");
    expect(programOfShellCommand("exec node x.js")).toBe("node");
    expect(programOfShellCommand("make&&echo done")).toBe("make");
  });

  it("leaves to bash what bash decides: builtins, compound commands, unknown variables, globs", () => {
    for (const command of [
      "cd sub && make",
      "if true; then x; fi",
      "(cd a; b)",
      "{ a; b; }",
      "$UNSET_VARIABLE_XYZ run",
      "echo score: 1",
      "source env.sh && python x.py",
      "./bin/*.sh",
      "~/bin/tool",
    ]) {
      expect(programOfShellCommand(command, {}), command).toBeUndefined();
    }
  });
});

describe("findProgram", () => {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-find-"));
  mkdirSync(join(directory, "bin"));
  writeFileSync(join(directory, "bin", "tool"), "#!/bin/sh\n");
  chmodSync(join(directory, "bin", "tool"), 0o755);
  writeFileSync(join(directory, "data.txt"), "not a program");

  it("looks names up on PATH and paths up relative to the directory", () => {
    expect(findProgram("tool", { directory, path: `/nonexistent:${join(directory, "bin")}` })).toBe(
      join(directory, "bin", "tool"),
    );
    expect(findProgram("tool", { directory, path: "/nonexistent" })).toBeUndefined();
    expect(findProgram("./bin/tool", { directory })).toBe(join(directory, "bin", "tool"));
    expect(findProgram("./data.txt", { directory })).toBeUndefined();
    expect(findProgram("sh", { directory, path: process.env.PATH })).toBeDefined();
  });

  it("says how to reach a program that exists only in the user's checkout", () => {
    const worktree = mkdtempSync(join(tmpdir(), "autoresearch-worktree-"));
    const message = describeMissingProgram("bin/tool", {
      directory: worktree,
      checkout: directory,
      purpose: "The command `bin/tool x`",
    });
    expect(message).toContain('"$AUTORESEARCH_DIRECTORY/bin/tool"');
    expect(describeMissingProgram("nope-xyz", { directory, path: "/nonexistent", purpose: "It" })).toBe(
      "It needs `nope-xyz`, which is not on PATH: install it, or give its path",
    );
  });
});
