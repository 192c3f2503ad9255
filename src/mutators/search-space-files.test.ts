import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { formatFromFileName, locateParameters, renderValue, replaceSpans } from "./search-space-files.js";

function edit(
  text: string,
  format: Parameters<typeof locateParameters>[1],
  changes: Record<string, number | string | boolean | null>,
  float: string[] = [],
) {
  const located = locateParameters(text, format, Object.keys(changes), "file");
  return replaceSpans(
    text,
    Object.entries(changes).map(([name, value]) => {
      const replacing = located.get(name)!;
      return {
        start: replacing.start,
        end: replacing.end,
        text: renderValue(value, format, { float: float.includes(name), replacing }),
      };
    }),
  );
}

describe("formatFromFileName", () => {
  it("maps extensions to formats", () => {
    expect(formatFromFileName("a/config.json")).toBe("json");
    expect(formatFromFileName("c.yml")).toBe("yaml");
    expect(formatFromFileName("c.YAML")).toBe("yaml");
    expect(formatFromFileName("train.py")).toBe("python");
    expect(formatFromFileName("train.mjs")).toBe("javascript");
    expect(formatFromFileName("train.ts")).toBe("javascript");
    expect(formatFromFileName("train.toml")).toBeUndefined();
  });
});

describe("JSON", () => {
  const text =
    '{\n  "lr": 0.04,\n  "model": { "depth": 8, "act": "relu" },\n  "a.b": true,\n  "list": [1, 2]\n}\n';

  it("reads top-level, dotted and dotted-name keys", () => {
    const located = locateParameters(text, "json", ["lr", "model.depth", "model.act", "a.b"], "config.json");
    expect(located.get("lr")?.value).toBe(0.04);
    expect(located.get("model.depth")?.value).toBe(8);
    expect(located.get("model.act")?.value).toBe("relu");
    expect(located.get("a.b")?.value).toBe(true);
  });

  it("replaces only the value tokens", () => {
    const edited = edit(text, "json", { lr: 0.06, "model.depth": 9, "model.act": "gelu" }, ["lr"]);
    expect(edited).toBe(
      '{\n  "lr": 0.06,\n  "model": { "depth": 9, "act": "gelu" },\n  "a.b": true,\n  "list": [1, 2]\n}\n',
    );
    expect(JSON.parse(edited)).toMatchObject({ lr: 0.06, model: { depth: 9, act: "gelu" } });
  });

  it("keeps a whole float a float", () => {
    expect(edit(text, "json", { lr: 2 }, ["lr"])).toContain('"lr": 2.0,');
  });

  it("names a missing key, a non-scalar and broken JSON", () => {
    expect(() => locateParameters(text, "json", ["missing"], "config.json")).toThrow(
      /`missing` was not found in config\.json/,
    );
    expect(() => locateParameters(text, "json", ["list"], "config.json")).toThrow(/is an array/);
    expect(() => locateParameters('{"lr": 0.1,', "json", ["lr"], "config.json")).toThrow(ConfigurationError);
  });
});

describe("YAML", () => {
  const text = [
    "# training settings",
    "learning_rate: 0.04   # tuned by hand",
    "depth: 8",
    "activation: 'relu'",
    'window: "SSSL" # pattern',
    "name: plain words",
    "nested:",
    "  depth: 3",
    "enabled: true",
    "",
  ].join("\n");

  it("reads top-level scalars and ignores nested keys", () => {
    const located = locateParameters(
      text,
      "yaml",
      ["learning_rate", "depth", "activation", "window", "name"],
      "c",
    );
    expect(located.get("learning_rate")?.value).toBe(0.04);
    expect(located.get("depth")?.value).toBe(8);
    expect(located.get("activation")?.value).toBe("relu");
    expect(located.get("window")?.value).toBe("SSSL");
    expect(located.get("name")?.value).toBe("plain words");
  });

  it("edits values in place, keeping comments and quotes", () => {
    const edited = edit(
      text,
      "yaml",
      { learning_rate: 0.06, depth: 9, activation: "it's", window: "SL", enabled: false, name: "true" },
      ["learning_rate"],
    );
    expect(edited).toBe(
      [
        "# training settings",
        "learning_rate: 0.06   # tuned by hand",
        "depth: 9",
        "activation: 'it''s'",
        'window: "SL" # pattern',
        'name: "true"',
        "nested:",
        "  depth: 3",
        "enabled: false",
        "",
      ].join("\n"),
    );
  });

  it("writes exponents that YAML 1.1 readers take for floats", () => {
    expect(edit(text, "yaml", { learning_rate: 1e-7 }, ["learning_rate"])).toContain(
      "learning_rate: 1.0e-7   #",
    );
    expect(edit(text, "yaml", { learning_rate: 3 }, ["learning_rate"])).toContain("learning_rate: 3.0   #");
  });

  it("rejects a nested mapping and a missing key", () => {
    expect(() => locateParameters(text, "yaml", ["nested"], "c.yaml")).toThrow(/expected a plain number/);
    expect(() => locateParameters(text, "yaml", ["batch"], "c.yaml")).toThrow(/top-level `batch: value`/);
  });
});

describe("Python", () => {
  const text = [
    '"""Training script."""',
    "import math",
    "",
    "LEARNING_RATE = 0.04",
    "DEPTH = 8  # layers",
    'WINDOW_PATTERN = "SSSL"',
    "BATCH: int = 32",
    "USE_BIAS = False",
    "EXPR = 2 ** 10",
    "WARMUP=1_000",
    "",
    "def f():",
    "    LEARNING_RATE = 1.0",
    "    return LEARNING_RATE",
    "",
  ].join("\n");

  it("reads module-level literals", () => {
    const located = locateParameters(
      text,
      "python",
      ["LEARNING_RATE", "DEPTH", "WINDOW_PATTERN", "BATCH", "USE_BIAS", "WARMUP"],
      "train.py",
    );
    expect([...located.values()].map((entry) => entry.value)).toEqual([0.04, 8, "SSSL", 32, false, 1000]);
  });

  it("replaces only the value token", () => {
    const edited = edit(
      text,
      "python",
      { LEARNING_RATE: 0.06, DEPTH: 9, WINDOW_PATTERN: "SL", BATCH: 64, USE_BIAS: true },
      ["LEARNING_RATE"],
    );
    expect(edited).toBe(
      text
        .replace("LEARNING_RATE = 0.04", "LEARNING_RATE = 0.06")
        .replace("DEPTH = 8  # layers", "DEPTH = 9  # layers")
        .replace('"SSSL"', '"SL"')
        .replace("BATCH: int = 32", "BATCH: int = 64")
        .replace("USE_BIAS = False", "USE_BIAS = True"),
    );
    expect(edit(text, "python", { LEARNING_RATE: null })).toContain("LEARNING_RATE = None\n");
  });

  it("refuses expressions and repeated assignments", () => {
    expect(() => locateParameters(text, "python", ["EXPR"], "train.py")).toThrow(
      /is `2 \*\* 10`: expected a plain/,
    );
    expect(() => locateParameters(`${text}DEPTH = 12\n`, "python", ["DEPTH"], "train.py")).toThrow(
      /assigned 2 times in train\.py \(lines 5, 15\)/,
    );
    expect(() => locateParameters(text, "python", ["MISSING"], "train.py")).toThrow(ConfigurationError);
  });
});

describe("JavaScript", () => {
  const text = [
    "export const LR = 0.04;",
    "const DEPTH: number = 8; // layers",
    "let NAME = 'relu'",
    "export const MODE = `fast` as const;",
    "const SUM = LR + 1;",
    "",
  ].join("\n");

  it("reads and edits module-level constants", () => {
    const located = locateParameters(text, "javascript", ["LR", "DEPTH", "NAME", "MODE"], "train.ts");
    expect([...located.values()].map((entry) => entry.value)).toEqual([0.04, 8, "relu", "fast"]);
    const edited = edit(text, "javascript", { LR: 1e-7, DEPTH: 10, NAME: "it's", MODE: "slow" }, ["LR"]);
    expect(edited).toBe(
      [
        "export const LR = 1e-7;",
        "const DEPTH: number = 10; // layers",
        "let NAME = 'it\\'s'",
        "export const MODE = `slow` as const;",
        "const SUM = LR + 1;",
        "",
      ].join("\n"),
    );
    expect(() => locateParameters(text, "javascript", ["SUM"], "train.ts")).toThrow(/expected a plain/);
  });
});
