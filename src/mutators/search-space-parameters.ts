import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import { createRandom } from "../random.js";
import type { ParameterValue } from "./search-space-files.js";

export { createRandom };

const choiceValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const numericFields = {
  min: z.number(),
  max: z.number(),
  /** Search on a log scale: multiplicative steps, for rates and sizes spanning orders of magnitude. */
  log: z.boolean().optional(),
};

/** One parameter of a search space declared as a plain object. */
export const searchSpaceParameterSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("float"), ...numericFields }),
  z.strictObject({ type: z.literal("int"), ...numericFields }),
  z.strictObject({ type: z.literal("choice"), values: z.array(choiceValueSchema).min(1) }),
]);

/** A search space as a plain object: `{ learning_rate: { type: "float", min: 1e-4, max: 0.1, log: true } }`. */
export const plainSearchSpaceSchema = z.record(z.string().min(1), searchSpaceParameterSchema);

export type SearchSpaceParameter = z.input<typeof searchSpaceParameterSchema>;
export type PlainSearchSpace = z.input<typeof plainSearchSpaceSchema>;

/** A parameter after validation, with its name. */
export type Parameter =
  | { name: string; type: "float" | "int"; min: number; max: number; log: boolean }
  | { name: string; type: "choice"; values: ParameterValue[] };

/** A zod object schema, recognized by shape so that a second copy of zod works too. */
export interface ZodObjectLike {
  readonly _zod: unknown;
  readonly shape: Record<string, unknown>;
}

export function isZodObjectLike(value: unknown): value is ZodObjectLike {
  return (
    typeof value === "object" &&
    value !== null &&
    "_zod" in value &&
    "shape" in value &&
    typeof (value as { shape: unknown }).shape === "object"
  );
}

/** Validates a search space, plain or a zod object schema, into a list of parameters in declaration order. */
export function normalizeSearchSpace(space: unknown): Parameter[] {
  const parameters = isZodObjectLike(space) ? fromZod(space) : fromPlain(space);
  if (parameters.length === 0) {
    throw new ConfigurationError({
      message: "Invalid `space`: expected at least one parameter, got none",
      field: "space",
    });
  }
  return parameters;
}

function fromPlain(space: unknown): Parameter[] {
  const parsed = parseOptions(plainSearchSpaceSchema, space, "space");
  return Object.entries(parsed).map(([name, definition]) => {
    if (definition.type === "choice") return { name, type: "choice", values: unique(definition.values) };
    return checkNumeric({
      name,
      type: definition.type,
      min: definition.min,
      max: definition.max,
      log: definition.log ?? false,
    });
  });
}

function checkNumeric(parameter: Extract<Parameter, { min: number }>): Parameter {
  const field = `space.${parameter.name}`;
  const { min, max } = parameter;
  if (!(min < max)) {
    throw new ConfigurationError({
      message: `Invalid \`${field}\`: expected \`min\` to be below \`max\`, got min ${min} and max ${max}`,
      field,
    });
  }
  if (parameter.log && !(min > 0)) {
    throw new ConfigurationError({
      message: `Invalid \`${field}\`: a log-scale parameter needs \`min\` > 0, got ${min}`,
      field,
    });
  }
  if (parameter.type === "int" && (!Number.isInteger(min) || !Number.isInteger(max))) {
    throw new ConfigurationError({
      message: `Invalid \`${field}\`: an int parameter needs integer bounds, got min ${min} and max ${max}`,
      field,
    });
  }
  return parameter;
}

function unique(values: readonly ParameterValue[]): ParameterValue[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const key = JSON.stringify(value);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface ZodInternals {
  def: { type: string; innerType?: unknown; values?: unknown[]; options?: unknown[] };
  minValue?: number | null;
  maxValue?: number | null;
  isInt?: boolean;
  options?: unknown[];
  meta?: () => Record<string, unknown> | undefined;
}

const wrappers = new Set(["default", "prefault", "optional", "readonly", "catch", "nonoptional"]);

function fromZod(schema: ZodObjectLike): Parameter[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const path = `space.${name}`;
    let current = field as ZodInternals;
    let log = readLog(current);
    while (wrappers.has(current.def?.type) && current.def.innerType !== undefined) {
      current = current.def.innerType as ZodInternals;
      log ??= readLog(current);
    }
    const type = current.def?.type;
    if (type === "number") {
      const min = current.minValue;
      const max = current.maxValue;
      const unbounded = (value: number | null | undefined) =>
        typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) >= Number.MAX_SAFE_INTEGER;
      if (unbounded(min) || unbounded(max)) {
        throw new ConfigurationError({
          message: `Invalid \`${path}\`: a number needs both bounds, e.g. \`z.number().min(0.001).max(0.1)\`, got min ${min} and max ${max}`,
          field: path,
        });
      }
      return checkNumeric({
        name,
        type: current.isInt ? "int" : "float",
        min: min!,
        max: max!,
        log: log ?? false,
      });
    }
    const values = choiceValues(current);
    if (values === undefined || values.length === 0) {
      throw new ConfigurationError({
        message: `Invalid \`${path}\`: expected a bounded \`z.number()\`, \`z.enum([...])\`, a union of literals or \`z.boolean()\`, got a \`${type ?? typeof field}\` schema`,
        field: path,
      });
    }
    return { name, type: "choice", values: unique(values) };
  });
}

function readLog(schema: ZodInternals): boolean | undefined {
  const metadata = typeof schema.meta === "function" ? schema.meta() : undefined;
  return typeof metadata?.log === "boolean" ? metadata.log : undefined;
}

function choiceValues(schema: ZodInternals): ParameterValue[] | undefined {
  switch (schema.def?.type) {
    case "enum":
      return (schema.options ?? []).filter(isChoiceValue);
    case "literal":
      return (schema.def.values ?? []).filter(isChoiceValue);
    case "boolean":
      return [true, false];
    case "null":
      return [null];
    case "union": {
      const values: ParameterValue[] = [];
      for (const option of schema.def.options ?? []) {
        const inner = choiceValues(option as ZodInternals);
        if (inner === undefined) return undefined;
        values.push(...inner);
      }
      return values;
    }
    default:
      return undefined;
  }
}

function isChoiceValue(value: unknown): value is ParameterValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

// --- Sampling

/** A 32-bit hash of a string (FNV-1a), to seed the generator from the state of the search. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Floats are kept to this many significant digits: readable in a diff, and equal points compare equal. */
const significantDigits = 4;

/** The value a parameter takes in a point: floats rounded, ints whole, numbers within bounds. */
export function canonicalValue(parameter: Parameter, value: number): number {
  if (parameter.type === "choice") return value;
  const clamped = Math.min(parameter.max, Math.max(parameter.min, value));
  if (parameter.type === "int") return Math.round(clamped);
  const rounded = Number(clamped.toPrecision(significantDigits));
  return Math.min(parameter.max, Math.max(parameter.min, rounded));
}

/** A key that is equal for equal points, for the set of tried points. */
export function pointKey(parameters: readonly Parameter[], point: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(
    parameters.map((parameter) => {
      const value = point[parameter.name];
      if (typeof value === "number" && parameter.type !== "choice") return canonicalValue(parameter, value);
      return value === undefined ? "\u0000missing" : value;
    }),
  );
}

/** True when the parameter can take some value other than `current`. */
export function canMove(parameter: Parameter, current: ParameterValue | undefined): boolean {
  if (parameter.type === "choice") {
    return parameter.values.some((value) => JSON.stringify(value) !== JSON.stringify(current));
  }
  return true;
}

/**
 * A value near `current`: floats move multiplicatively (log) or by a fraction of the range, ints by one or a few
 * steps, choices to another value. `widen` grows the steps when nearby points have all been tried.
 */
export function perturb(
  parameter: Parameter,
  current: ParameterValue | undefined,
  random: () => number,
  widen: number,
): ParameterValue {
  if (parameter.type === "choice") {
    const others = parameter.values.filter((value) => JSON.stringify(value) !== JSON.stringify(current));
    const pool = others.length > 0 ? others : parameter.values;
    return pool[Math.floor(random() * pool.length)]!;
  }
  const { min, max, log } = parameter;
  if (typeof current !== "number" || !Number.isFinite(current)) {
    // Nothing to start from: sample the whole range.
    const value = log ? min * (max / min) ** random() : min + (max - min) * random();
    return canonicalValue(parameter, value);
  }
  const start = Math.min(max, Math.max(min, current));
  const direction = random() < 0.5 ? -1 : 1;
  let candidate: number;
  if (parameter.type === "int" && !log) {
    const span = max - min;
    const largest = Math.max(1, Math.min(4, Math.round(span / 10)));
    const step = (1 + Math.floor(random() * largest)) * Math.ceil(widen);
    candidate = reflect(start + direction * step, start - direction * step, min, max);
  } else if (log) {
    const range = Math.log(max / min);
    const size = (0.2 + 0.8 * random()) * Math.min(range / 4, Math.LN2 * 2) * widen;
    candidate = reflect(start * Math.exp(direction * size), start * Math.exp(-direction * size), min, max);
  } else {
    const size = (0.05 + 0.2 * random()) * (max - min) * widen;
    candidate = reflect(start + direction * size, start - direction * size, min, max);
  }
  let value = canonicalValue(parameter, candidate);
  if (parameter.type === "int" && value === Math.round(start)) {
    // A small multiplicative step on a small int rounds back to where it started: take one whole step.
    value =
      canonicalValue(parameter, start + direction) === value
        ? canonicalValue(parameter, start - direction)
        : canonicalValue(parameter, start + direction);
  }
  return value;
}

function reflect(preferred: number, opposite: number, min: number, max: number): number {
  if (preferred >= min && preferred <= max) return preferred;
  if (opposite >= min && opposite <= max) return opposite;
  return preferred < min ? min : max;
}

/** Every point of a space without floats, or `undefined` when it has floats or more than `limit` points. */
export function enumerateFinite(
  parameters: readonly Parameter[],
  limit: number,
): Record<string, ParameterValue>[] | undefined {
  let size = 1;
  const domains: ParameterValue[][] = [];
  for (const parameter of parameters) {
    if (parameter.type === "float") return undefined;
    const domain =
      parameter.type === "choice"
        ? parameter.values
        : Array.from({ length: parameter.max - parameter.min + 1 }, (_, index) => parameter.min + index);
    size *= domain.length;
    if (size > limit) return undefined;
    domains.push(domain);
  }
  let points: Record<string, ParameterValue>[] = [{}];
  parameters.forEach((parameter, index) => {
    points = points.flatMap((point) =>
      domains[index]!.map((value) => ({ ...point, [parameter.name]: value })),
    );
  });
  return points;
}
