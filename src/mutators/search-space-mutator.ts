import { readFile, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import { createRandom } from "../random.js";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import type { PreflightOptions } from "../spec/preflight.js";
import type { TrialRecord } from "../spec/records.js";
import { createMatcher } from "../workspace/scope.js";
import {
  formatFromFileName,
  locateParameters,
  type ParameterValue,
  renderValue,
  replaceSpans,
  type SearchSpaceFormat,
} from "./search-space-files.js";
import {
  canMove,
  enumerateFinite,
  hashString,
  normalizeSearchSpace,
  type Parameter,
  type PlainSearchSpace,
  perturb,
  pointKey,
  type ZodObjectLike,
} from "./search-space-parameters.js";

const searchSpaceMutatorOptionsSchema = z.strictObject({
  /** The file holding the parameters, relative to the researched directory. */
  file: z.string().min(1),
  /** How to read and edit the file; by default from its extension. */
  format: z.enum(["json", "yaml", "python", "javascript"]).optional(),
  /** The parameters: a plain object of definitions, or a zod object schema of bounded numbers and choices. */
  space: z.custom<PlainSearchSpace | ZodObjectLike>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value),
    "expected an object of parameters or a zod object schema",
  ),
  /** Seeds the search; the same seed, trial number and history give the same proposal. */
  seed: z.number().int().optional(),
  /** How many candidate points to draw before declaring the space exhausted. */
  maxAttempts: z.number().int().positive().optional(),
  /** The mutator's name in the ledger. */
  name: z.string().min(1).optional(),
});

export type SearchSpaceMutatorOptions = z.input<typeof searchSpaceMutatorOptionsSchema>;

/** A point of a search space: a value for each parameter, by name. */
export type SearchSpacePoint = Record<string, ParameterValue>;

/** Spaces without floats up to this size are enumerated, so exhaustion is exact. */
const enumerationLimit = 100_000;

/**
 * A mutator that searches over parameters held in a JSON, YAML, Python or JavaScript file. Each proposal starts
 * from the incumbent's values and changes one (sometimes two) parameters, never proposing a point already tried;
 * the full point is stored in the proposal's `metadata.point`, which is how a resumed run knows what was tried.
 */
export function createSearchSpaceMutator(options: SearchSpaceMutatorOptions): Mutator {
  const parsed = parseOptions(searchSpaceMutatorOptionsSchema, options);
  const { file, seed = 0, maxAttempts = 1000, name = "search-space" } = parsed;
  const format: SearchSpaceFormat | undefined = parsed.format ?? formatFromFileName(file);
  if (format === undefined) {
    throw new ConfigurationError({
      message: `Invalid \`format\`: cannot tell the format of \`${file}\` from its extension; expected \`format\` to be "json", "yaml", "python" or "javascript"`,
      field: "format",
    });
  }
  const parameters = normalizeSearchSpace(parsed.space);
  const names = parameters.map((parameter) => parameter.name);
  const finitePoints = enumerateFinite(parameters, enumerationLimit);

  /** The parameters' file and where each parameter's value stands in it; a ConfigurationError when one is missing. */
  async function readParameters(directory: string) {
    let text: string;
    try {
      text = await readFile(join(directory, file), "utf8");
    } catch (error) {
      throw new ConfigurationError({
        message: `Invalid \`file\`: cannot read the search space file ${file} in ${directory}`,
        field: "file",
        cause: error,
      });
    }
    return { text, located: locateParameters(text, format!, names, file) };
  }

  async function preflight({ directory, scope }: PreflightOptions): Promise<void> {
    const problems: string[] = [];
    if (!createMatcher(scope.editable)(posix.normalize(file))) {
      problems.push(
        `The search space's file ${file} is not in \`scope.editable\` (${scope.editable.join(", ")}): every proposal would be refused`,
      );
    }
    await readParameters(directory).catch((error: unknown) =>
      problems.push(error instanceof Error ? error.message : String(error)),
    );
    if (problems.length > 0) throw new ConfigurationError({ message: problems.join("; "), field: "file" });
  }

  async function propose(proposeOptions: ProposeOptions): Promise<Proposal> {
    proposeOptions.abortSignal.throwIfAborted();
    if (proposeOptions.repair !== undefined) {
      return { type: "failed", error: `${name} proposes parameter values and cannot repair a crashed trial` };
    }
    const path = join(proposeOptions.directory, file);
    const { text, located } = await readParameters(proposeOptions.directory);
    const current: Record<string, ParameterValue | undefined> = {};
    for (const parameter of parameters) current[parameter.name] = located.get(parameter.name)!.value;

    const tried = triedKeys(parameters, current, proposeOptions.history);
    const random = createRandom(hashString(`${seed}|${proposeOptions.trial}|${[...tried].sort().join(";")}`));
    const point = findUntried(parameters, current, tried, random, maxAttempts, finitePoints);
    if (point === undefined) {
      const reason =
        finitePoints !== undefined
          ? `all ${finitePoints.length} points of the search space have been tried`
          : `no untried point found in ${maxAttempts} attempts`;
      return { type: "exhausted", reason };
    }

    const changed = parameters.filter(
      (parameter) => pointKey([parameter], point) !== pointKey([parameter], current),
    );
    const edits = changed.map((parameter) => {
      const replacing = located.get(parameter.name)!;
      return {
        start: replacing.start,
        end: replacing.end,
        text: renderValue(point[parameter.name]!, format!, { float: parameter.type === "float", replacing }),
      };
    });
    await writeFile(path, replaceSpans(text, edits));
    const description = changed
      .map(
        (parameter, index) =>
          `${parameter.name} ${located.get(parameter.name)!.raw} -> ${edits[index]!.text}`,
      )
      .join(", ");
    return {
      type: "edit",
      description,
      metadata: {
        point,
        from: Object.fromEntries(
          parameters.map((parameter) => [parameter.name, current[parameter.name] ?? null]),
        ),
        changed: changed.map((parameter) => parameter.name),
      },
    };
  }

  return { name, propose, preflight };
}

function triedKeys(
  parameters: readonly Parameter[],
  current: Readonly<Record<string, unknown>>,
  history: readonly TrialRecord[],
): Set<string> {
  const tried = new Set([pointKey(parameters, current)]);
  for (const record of history) {
    const metadata = record.proposer.metadata;
    for (const field of ["point", "from"] as const) {
      const value = metadata?.[field];
      if (typeof value === "object" && value !== null)
        tried.add(pointKey(parameters, value as Record<string, unknown>));
    }
  }
  return tried;
}

function findUntried(
  parameters: readonly Parameter[],
  current: Readonly<Record<string, ParameterValue | undefined>>,
  tried: ReadonlySet<string>,
  random: () => number,
  maxAttempts: number,
  finitePoints: readonly SearchSpacePoint[] | undefined,
): SearchSpacePoint | undefined {
  const movable = parameters.filter((parameter) => canMove(parameter, current[parameter.name]));
  const localAttempts = finitePoints === undefined ? maxAttempts : Math.min(maxAttempts, 50);
  for (let attempt = 0; attempt < localAttempts && movable.length > 0; attempt++) {
    const count = movable.length >= 2 && random() < 0.25 ? 2 : 1;
    const chosen = new Set<Parameter>();
    while (chosen.size < count) chosen.add(movable[Math.floor(random() * movable.length)]!);
    const widen = Math.min(4, 1 + Math.floor(attempt / 20) * 0.5);
    const point: SearchSpacePoint = {};
    for (const parameter of parameters) {
      const value = current[parameter.name];
      point[parameter.name] = chosen.has(parameter)
        ? perturb(parameter, value, random, widen)
        : (value ?? null);
    }
    if (!tried.has(pointKey(parameters, point))) return point;
  }
  if (finitePoints === undefined) return undefined;
  // Nearby points are all tried: take the untried point that differs from the incumbent in the fewest parameters.
  let best: SearchSpacePoint[] = [];
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const point of finitePoints) {
    if (tried.has(pointKey(parameters, point))) continue;
    const distance = parameters.reduce(
      (sum, parameter) => sum + (pointKey([parameter], point) === pointKey([parameter], current) ? 0 : 1),
      0,
    );
    if (distance < bestDistance) {
      best = [point];
      bestDistance = distance;
    } else if (distance === bestDistance) best.push(point);
  }
  return best.length === 0 ? undefined : best[Math.floor(random() * best.length)];
}
