import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError } from "./autoresearch-error.js";
import { parseOptions } from "./format-zod-error.js";
import { editDistance, nearestName } from "./nearest-name.js";

describe("nearestName", () => {
  it("finds typos, case slips and truncations, and nothing for unrelated names", () => {
    expect(nearestName("maxTrails", ["maxTrials", "maxWallTimeMs", "patience"])).toBe("maxTrials");
    expect(nearestName("timeoutMS", ["timeoutMs", "killGraceMs"])).toBe("timeoutMs");
    expect(nearestName("protect", ["editable", "protected"])).toBe("protected");
    expect(nearestName("noiseMultiplier", ["noiseMultiple", "minImprovement"])).toBe("noiseMultiple");
    expect(nearestName("frobnicate", ["editable", "protected"])).toBeUndefined();
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("same", "same")).toBe(0);
  });
});

describe("parseOptions", () => {
  const schema = z.strictObject({
    tag: z.string(),
    stop: z.strictObject({ maxTrials: z.number().optional(), patience: z.number().optional() }).default({}),
  });

  it("names an unknown key with its path and the nearest valid name, nested objects included", () => {
    const attempt = () => parseOptions(schema, { tag: "a", stop: { maxTrails: 3 }, patience: 2 });
    expect(attempt).toThrow(ConfigurationError);
    let message = "";
    try {
      attempt();
    } catch (error) {
      message = (error as Error).message;
      expect((error as ConfigurationError).field).toBe("stop.maxTrails");
    }
    expect(message.split("\n")).toEqual([
      "Unknown option `stop.maxTrails`: did you mean `maxTrials`?",
      "Unknown option `patience`: did you mean `stop.patience`?",
    ]);
  });

  it("lists the valid keys when nothing is close, and keeps the usual message for wrong values", () => {
    expect(() => parseOptions(schema, { tag: "a", wholly: 1 })).toThrow(
      "Unknown option `wholly`: expected one of tag, stop",
    );
    expect(() => parseOptions(schema, { tag: 5 }, "config")).toThrow(
      "Invalid `config.tag`: expected string, got `5`",
    );
    expect(parseOptions(schema, { tag: "a" })).toEqual({ tag: "a", stop: {} });
  });

  it("lists a union's alternatives, or names the field inside the one whose shape the value has", () => {
    const sandbox = z.strictObject({
      sandbox: z
        .union([z.literal(false), z.enum(["auto", "required"]), z.strictObject({ network: z.boolean() })])
        .optional(),
    });
    expect(() => parseOptions(sandbox, { sandbox: "false" })).toThrow(
      'Invalid `sandbox`: expected one of false, "auto", "required", an object, got `"false"`',
    );
    expect(() => parseOptions(sandbox, { sandbox: { network: "yes" } })).toThrow(
      'Invalid `sandbox.network`: expected boolean, got `"yes"`',
    );
    expect(() => parseOptions(sandbox, { sandbox: { netwrk: true } })).toThrow(
      "Unknown option `sandbox.netwrk`: did you mean `network`?",
    );
  });
});
