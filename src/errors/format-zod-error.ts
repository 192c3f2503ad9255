import type { z } from "zod";
import { ConfigurationError } from "./autoresearch-error.js";
import { nearestName } from "./nearest-name.js";

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

// An unknown key's issue carries the object's valid keys in its message, written by `unknownKeyMessage` below:
// "expected one of: a, b; nested: c.d, c.e".
const validKeysLead = "expected one of: ";
const nestedLead = "; nested: ";

interface SchemaDefinition {
  shape?: Record<string, unknown>;
  innerType?: unknown;
}

const definitionOf = (schema: unknown) =>
  (schema as { _zod?: { def?: SchemaDefinition } } | undefined)?._zod?.def;

/** The keys of the object a field holds, through `.optional()`, `.default()` and the like; none for others. */
function nestedKeys(schema: unknown): string[] {
  let definition = definitionOf(schema);
  for (
    let depth = 0;
    depth < 5 && definition?.shape === undefined && definition?.innerType !== undefined;
    depth++
  ) {
    definition = definitionOf(definition.innerType);
  }
  return Object.keys(definition?.shape ?? {});
}

/**
 * The error map `parseOptions` parses with: for an unknown key in a strict object it records the object's valid
 * keys and those of the objects inside it (zod itself only names the unknown ones), so the message can suggest
 * the nearest: `maxTrials` at the top level is most likely `stop.maxTrials`.
 */
function unknownKeyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== "unrecognized_keys") return undefined;
  const shape = definitionOf(issue.inst)?.shape;
  if (shape === undefined) return undefined;
  const nested = Object.entries(shape).flatMap(([key, field]) =>
    nestedKeys(field).map((inner) => `${key}.${inner}`),
  );
  return `${validKeysLead}${Object.keys(shape).join(", ")}${nested.length > 0 ? `${nestedLead}${nested.join(", ")}` : ""}`;
}

/** The nearest valid name: among the object's own keys first, else a key of an object inside it. */
function suggestion(key: string, valid: readonly string[], nested: readonly string[]): string | undefined {
  const direct = nearestName(key, valid);
  if (direct !== undefined) return direct;
  const inner = nearestName(
    key,
    nested.map((path) => path.slice(path.lastIndexOf(".") + 1)),
  );
  return inner === undefined ? undefined : nested.find((path) => path.endsWith(`.${inner}`));
}

function fieldName(prefix: string, path: readonly PropertyKey[]): string {
  return [prefix, ...path.map(String)].filter(Boolean).join(".");
}

function unknownKeyLines(issue: z.core.$ZodIssue, prefix: string): string[] {
  const keys = issue.code === "unrecognized_keys" ? issue.keys : [];
  const [own = "", inner = ""] = issue.message.startsWith(validKeysLead)
    ? issue.message.slice(validKeysLead.length).split(nestedLead)
    : [];
  const valid = own.split(", ").filter(Boolean);
  const nested = inner.split(", ").filter(Boolean);
  const where = fieldName(prefix, issue.path);
  return keys.map((key) => {
    const field = fieldName(where, [key]);
    const nearest = suggestion(key, valid, nested);
    if (nearest !== undefined) return `Unknown option \`${field}\`: did you mean \`${nearest}\`?`;
    if (valid.length > 0) return `Unknown option \`${field}\`: expected one of ${valid.join(", ")}`;
    return `Unknown option \`${field}\``;
  });
}

/** One alternative of a union as a reader would name it: `false`, `"auto"`, `an object`. */
function alternative(issues: readonly z.core.$ZodIssue[]): string[] {
  const [first] = issues;
  if (first === undefined) return [];
  if (first.code === "invalid_value") return first.values.map((value) => describe(value));
  if (first.code === "invalid_type")
    return [/^[aeiou]/.test(first.expected) ? `an ${first.expected}` : `a ${first.expected}`];
  return [first.message];
}

/**
 * The issues a union's failure stands for. When the value has the shape of one alternative and fails inside it
 * (an object with a bad field), that alternative's own issues say what is wrong; otherwise one issue lists the
 * alternatives: "expected one of false, "auto", "required", an object".
 */
function unionIssues(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== "invalid_union" || !("errors" in issue) || issue.errors.length === 0) return [issue];
  const inside = issue.errors.filter((issues) => issues.some((each) => each.path.length > 0));
  if (inside.length === 1) {
    return (inside[0] ?? []).flatMap((each) =>
      unionIssues({ ...each, path: [...issue.path, ...each.path] } as z.core.$ZodIssue),
    );
  }
  const names = [...new Set(issue.errors.flatMap((issues) => alternative(issues)))];
  return [{ ...issue, message: `expected one of ${names.join(", ")}` } as z.core.$ZodIssue];
}

/**
 * Turns a zod failure into a ConfigurationError whose message names the field, what was expected and what was got:
 * "Invalid `timeoutMs`: expected number to be >0, got `0`". An unknown key of a strict object reads
 * "Unknown option `stop.maxTrails`: did you mean `maxTrials`?". Every line starts with its field in
 * backticks, so an enclosing option can prefix it.
 */
export function toConfigurationError(error: z.ZodError, input: unknown, prefix = ""): ConfigurationError {
  const issues = error.issues.flatMap((issue) => unionIssues(issue));
  const lines = issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") return unknownKeyLines(issue, prefix);
    const field = fieldName(prefix, issue.path) || "(options)";
    const got = describe(valueAt(input, issue.path));
    const expected = issue.message
      .replace(/^(Invalid input|Invalid option|Too small|Too big|Invalid string|Invalid value): /, "")
      .replace(/, received \w+$/, "");
    const phrased = /^expected /i.test(expected) ? expected : `expected ${expected}`;
    return [`Invalid \`${field}\`: ${phrased}, got \`${got}\``];
  });
  const first = issues[0];
  const firstPath =
    first?.code === "unrecognized_keys" && first.keys[0] !== undefined
      ? [...first.path, first.keys[0]]
      : (first?.path ?? []);
  return new ConfigurationError({
    message: lines.join("\n"),
    field: fieldName(prefix, firstPath),
    cause: error,
  });
}

/**
 * Validates options against their schema, once, at the entry point: the parsed value, or a ConfigurationError
 * naming every problem (unknown keys with the nearest valid name). `prefix` names where the options stand.
 */
export function parseOptions<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  prefix = "",
): z.output<Schema> {
  const parsed = schema.safeParse(input, { error: unknownKeyMessage });
  if (!parsed.success) throw toConfigurationError(parsed.error, input, prefix);
  return parsed.data;
}
