import { describe, expect, it } from "vitest";
import { countOccurrences } from "./llm-tools-match.js";

describe("countOccurrences", () => {
  it("counts overlapping occurrences, so an edit that could mean two places is refused", () => {
    expect(countOccurrences("x\nx\nx", "x\nx")).toEqual([0, 2]);
    expect(countOccurrences("aaaa", "aa")).toEqual([0, 1, 2]);
    expect(countOccurrences("one two", "two")).toEqual([4]);
    expect(countOccurrences("one", "two")).toEqual([]);
  });
});
