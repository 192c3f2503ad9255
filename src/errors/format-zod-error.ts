import type { z } from "zod";
import { ConfigurationError } from "./autoresearch-error.js";

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Turns a zod failure into a ConfigurationError whose message names the field, what was expected and what was got:
 * "Invalid `timeoutMs`: expected number to be >0, got `0`".
 */
export function toConfigurationError(error: z.ZodError, input: unknown, prefix = ""): ConfigurationError {
  const lines = error.issues.map((issue) => {
    const field = [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "(options)";
    const got = describe(valueAt(input, issue.path));
    const expected = issue.message
      .replace(/^(Invalid input|Invalid option|Too small|Too big|Invalid string|Invalid value): /, "")
      .replace(/, received \w+$/, "");
    const phrased = /^expected /i.test(expected) ? expected : `expected ${expected}`;
    return `Invalid \`${field}\`: ${phrased}, got \`${got}\``;
  });
  const first = error.issues[0];
  const field = first ? [prefix, ...first.path.map(String)].filter(Boolean).join(".") : prefix;
  return new ConfigurationError({ message: lines.join("\n"), field, cause: error });
}
