import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("the custom-roles example", () => {
  it("runs a hand-written runner and mutator through the loop and improves the metric", () => {
    const output = execFileSync(resolve("node_modules/.bin/tsx"), ["examples/custom-roles/research.ts"], {
      encoding: "utf8",
    });
    const match = /best distance ([\d.]+) \(trial \d+\), from ([\d.]+)/.exec(output);
    expect(match, output).not.toBeNull();
    expect(Number(match?.[1])).toBeLessThan(Number(match?.[2]));
    expect(output).toContain("trial 0  keep");
  });
});
