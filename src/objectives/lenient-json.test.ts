import { describe, expect, it } from "vitest";
import { parseJsonAllowingNonFinite } from "./lenient-json.js";

describe("parseJsonAllowingNonFinite", () => {
  it("reads bare NaN and infinities as numbers", () => {
    const value = parseJsonAllowingNonFinite('{"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": {"d": NaN}}');
    expect(value).toEqual({ a: Number.NaN, b: [Infinity, -Infinity, 1.5], c: { d: Number.NaN } });
  });

  it("leaves the words alone inside strings, escaped quotes included", () => {
    const text = '{"text": "value: NaN, next: Infinity", "quote": "say \\"NaN\\", -Infinity", "x": NaN}';
    const value = parseJsonAllowingNonFinite(text) as Record<string, unknown>;
    expect(value.text).toBe("value: NaN, next: Infinity");
    expect(value.quote).toBe('say "NaN", -Infinity');
    expect(value.x).toBeNaN();
  });

  it("still refuses text that is not JSON, with JSON.parse's own error", () => {
    expect(() => parseJsonAllowingNonFinite("{not json}")).toThrow(SyntaxError);
    expect(() => parseJsonAllowingNonFinite('{"a": NaN,}')).toThrow(SyntaxError);
  });
});
