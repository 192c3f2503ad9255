import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { tagProblem } from "./tag.js";

describe("tagProblem", () => {
  it("refuses what git refuses as a ref name, and agrees with git on what it accepts", () => {
    const candidates = [
      "a..b",
      "x.lock",
      "x.",
      "night",
      "v1.2",
      "a_b-c",
      "lr.sweep",
      "9lives",
      ".hidden",
      "-x",
    ];
    for (const tag of candidates) {
      const git = spawnSync("git", ["check-ref-format", "--branch", `autoresearch/${tag}`]);
      if (git.status !== 0) expect(tagProblem(tag), tag).toBeDefined();
    }
    expect(tagProblem("a..b")).toBe("a git ref name cannot contain `..`");
    expect(tagProblem("x.lock")).toBe("a git ref name cannot end with `.lock`");
    for (const tag of ["night", "v1.2", "a_b-c", "lr.sweep", "9lives"]) {
      expect(tagProblem(tag), tag).toBeUndefined();
      expect(spawnSync("git", ["check-ref-format", "--branch", `autoresearch/${tag}`]).status).toBe(0);
    }
    expect(tagProblem("a/b")).toContain("expected letters, digits");
    expect(tagProblem("x".repeat(101))).toContain("at most 100");
  });
});
