import { describe, expect, it } from "vitest";
import { coveringPaths } from "./protected-files.js";

describe("coveringPaths", () => {
  it("stands a folder for its files when all of them are protected, and lists the others one by one", () => {
    const tracked = [
      "train.py",
      "prepare.py",
      "data/a.bin",
      "data/shards/b.bin",
      "data/shards/c.bin",
      "eval/run.py",
      "eval/notes.md",
      "eval/fixtures/x.json",
    ];
    const protectedFiles = new Set([
      "prepare.py",
      "data/a.bin",
      "data/shards/b.bin",
      "data/shards/c.bin",
      "eval/run.py",
      "eval/fixtures/x.json",
    ]);
    expect(coveringPaths(tracked, protectedFiles)).toEqual([
      "data",
      "eval/fixtures",
      "eval/run.py",
      "prepare.py",
    ]);
  });
});
