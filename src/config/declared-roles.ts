import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { nearestName } from "../errors/nearest-name.js";
import type { PatchQueueMutatorOptions } from "../mutators/patch-queue-mutator.js";
import type { Mutator } from "../spec/mutator.js";
import type { Objective } from "../spec/objective.js";
import type { Runner } from "../spec/runner.js";

/**
 * The built-ins a config file may name as plain data, each loaded only when used (the LLM mutator pulls in `ai`).
 * A role is either an object implementing it, a variant keyed by its name (`mutator: { llm: {...} }`), or, for a
 * role with a default built-in, that built-in's options written flat (`runner: { command: "..." }`).
 *
 * Adding a built-in is one line in one of the tables below: its key and how to build it.
 */

/** Where a declared built-in is built: relative paths in its options are resolved against `directory`. */
export interface BuildContext {
  /** The researched directory (the config file's folder unless the config says otherwise). */
  directory: string;
}

type Build<Role> = (options: never, context: BuildContext) => Role;
type Variants<Role> = Record<string, () => Promise<Build<Role>>>;

const mutatorVariants = {
  searchSpace: () =>
    import("../mutators/search-space-mutator.js").then((module) => module.createSearchSpaceMutator),
  // Relative patch paths are resolved against the researched directory, as every relative path of a config is.
  patches: () =>
    import("../mutators/patch-queue-mutator.js").then(
      (module) => (patches: PatchQueueMutatorOptions["patches"], context: BuildContext) =>
        module.createPatchQueueMutator({ patches, cwd: context.directory }),
    ),
  llm: () => import("../mutators/llm-mutator.js").then((module) => module.createLlmMutator),
  agent: () => import("../mutators/agent-mutator.js").then((module) => module.createAgentMutator),
} satisfies Variants<Mutator>;

const runnerVariants = {
  slurm: () => import("../runners/slurm/slurm-runner.js").then((module) => module.createSlurmRunner),
  promptfoo: () => import("../runners/promptfoo-runner.js").then((module) => module.createPromptfooRunner),
} satisfies Variants<Runner>;
const runnerDefault = () =>
  import("../runners/command-runner.js").then((module) => module.createCommandRunner);

const objectiveVariants = {
  promptfoo: () =>
    import("../objectives/promptfoo-objective.js").then((module) => module.createPromptfooObjective),
  inspect: () => import("../objectives/inspect-objective.js").then((module) => module.createInspectObjective),
  caseFile: () =>
    import("../objectives/case-file-objective.js").then((module) => module.createCaseFileObjective),
} satisfies Variants<Objective>;
const objectiveDefault = () =>
  import("../objectives/metric-objective.js").then((module) => module.createMetricObjective);

// biome-ignore lint/suspicious/noExplicitAny: any function's first parameter, whatever its other ones.
type OptionsOf<Load> = Load extends () => Promise<infer Build extends (...args: any[]) => unknown>
  ? Parameters<Build>[0]
  : never;
type Keyed<Table> = { [Key in keyof Table]: { [Only in Key]: OptionsOf<Table[Key]> } }[keyof Table];

/** A mutator written as data: one of these keys, holding that built-in's options. */
export type DeclaredMutator = Keyed<typeof mutatorVariants>;
/** A runner written as data: the command runner's options, or a keyed variant. */
export type DeclaredRunner = OptionsOf<typeof runnerDefault> | Keyed<typeof runnerVariants>;
/** An objective written as data: the metric objective's options, or a keyed variant. */
export type DeclaredObjective = OptionsOf<typeof objectiveDefault> | Keyed<typeof objectiveVariants>;

interface RoleTable<Role> {
  /** What the role is called in messages. */
  noun: string;
  /** The method an object implementing the role has. */
  method: string;
  variants: Variants<Role>;
  /** The built-in whose options may be written flat; none for mutators, which are always keyed. */
  flat?: () => Promise<Build<Role>>;
  /** An example for the message when a value is neither. */
  example: string;
}

export const roleTables = {
  runner: {
    noun: "a runner",
    method: "run",
    variants: runnerVariants,
    flat: runnerDefault,
    example:
      'a command runner\'s options such as `{ command: "python train.py", timeoutMs: 600000 }`, `{ slurm: { command, sbatch } }` or `{ promptfoo: options }`',
  } satisfies RoleTable<Runner>,
  objective: {
    noun: "an objective",
    method: "measure",
    variants: objectiveVariants,
    flat: objectiveDefault,
    example:
      'a metric objective\'s options such as `{ metric: "val_bpb", direction: "minimize" }`, or `{ promptfoo | inspect | caseFile: options }`',
  } satisfies RoleTable<Objective>,
  mutator: {
    noun: "a mutator",
    method: "propose",
    variants: mutatorVariants,
    example: `one of \`{ ${Object.keys(mutatorVariants).join(" | ")}: options }\``,
  } satisfies RoleTable<Mutator>,
};

export type RoleName = keyof typeof roleTables;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A config file's field for the role: an implementation, or an object of options checked when it is built. */
export function declaredRoleSchema<Role, Declared>(role: RoleName) {
  return z.custom<Role | Declared>(isObject, { message: roleExpectation(role) });
}

/** The message of a value that is not the role: what was expected, with an example. */
export function roleExpectation(role: RoleName): string {
  const table = roleTables[role] as unknown as RoleTable<unknown>;
  return `expected ${table.noun} (an object with a \`${table.method}\` method), or ${table.example}`;
}

/** Prefixes the field of every line of a built-in's ConfigurationError with where its options stood. */
function within<T>(field: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (!ConfigurationError.isInstance(error)) throw error;
    const message = error.message
      .split("\n")
      .map((line) =>
        line.replace(/`([^`]*)`/, (_, name: string) =>
          name === "(options)" || name === "" ? `\`${field}\`` : `\`${field}.${name}\``,
        ),
      )
      .join("\n");
    throw new ConfigurationError({
      field: `${field}.${error.field ?? ""}`.replace(/\.$/, ""),
      message,
      cause: error,
    });
  }
}

/**
 * Builds the role a config file declared at `field` (e.g. `holdout.runner`): an implementation is used as it is,
 * plain data builds the built-in it names. Problems are ConfigurationErrors naming the field.
 */
export async function buildDeclaredRole<Role>(
  role: RoleName,
  value: unknown,
  field: string,
  context: BuildContext,
): Promise<Role> {
  const table = roleTables[role] as unknown as RoleTable<Role>;
  if (isObject(value) && typeof value[table.method] === "function") return value as Role;
  if (!isObject(value)) {
    throw new ConfigurationError({ field, message: `Invalid \`${field}\`: ${roleExpectation(role)}` });
  }
  const keys = Object.keys(value);
  const variant = keys.length === 1 && keys[0] !== undefined ? table.variants[keys[0]] : undefined;
  if (variant !== undefined && keys[0] !== undefined) {
    const build = await variant();
    return within(`${field}.${keys[0]}`, () => build(value[keys[0] as string] as never, context));
  }
  if (table.flat !== undefined) {
    const build = await table.flat();
    return within(field, () => build(value as never, context));
  }
  const names = Object.keys(table.variants);
  const lines = keys.map((key) => {
    const nearest = nearestName(key, [...names, table.method]);
    return nearest === undefined || nearest === table.method
      ? `Unknown option \`${field}.${key}\`: expected one of ${names.join(", ")}`
      : `Unknown option \`${field}.${key}\`: did you mean \`${nearest}\`?`;
  });
  throw new ConfigurationError({
    field,
    message:
      keys.length > 1 && keys.every((key) => names.includes(key))
        ? `Invalid \`${field}\`: expected one built-in, got ${keys.map((key) => `\`${key}\``).join(" and ")}`
        : lines.length > 0
          ? lines.join("\n")
          : `Invalid \`${field}\`: ${roleExpectation(role)}, got \`{}\``,
  });
}
