import { z } from "zod";
import { researchOptionsSchema } from "../loop/research-options.js";
import type { Mutator } from "../spec/mutator.js";
import type { Objective } from "../spec/objective.js";
import type { Runner } from "../spec/runner.js";
import {
  type DeclaredMutator,
  type DeclaredObjective,
  type DeclaredRunner,
  declaredRoleSchema,
} from "./declared-roles.js";

export type { DeclaredMutator, DeclaredObjective, DeclaredRunner };

/** Simple stop rules; `stopWhen` takes any predicate for the rest. */
export const stopSchema = z.strictObject({
  /** Stop once this many trials are recorded, the baseline included. */
  maxTrials: z.number().int().positive().optional(),
  maxWallTimeMs: z.number().positive().optional(),
  /** Stop after this many trials in a row without a keep. */
  patience: z.number().int().positive().optional(),
  /** Stop once the incumbent reaches this value. */
  target: z.number().optional(),
  maxCostUsd: z.number().positive().optional(),
  /** Stop once the experiments used this many slot-hours of compute (all runs, summed over slots). */
  maxComputeHours: z.number().positive().optional(),
});

const runner = declaredRoleSchema<Runner, DeclaredRunner>("runner");
const objective = declaredRoleSchema<Objective, DeclaredObjective>("objective");
const holdout = researchOptionsSchema.shape.holdout.unwrap();
const finalEvaluation = researchOptionsSchema.shape.finalEvaluation.unwrap();

/**
 * The configuration file's shape (`autoresearch.config.ts`): the research options, derived from their schema so
 * that every option is settable here, with three differences. Roles may be written as plain data (a config file
 * needs no imports): `runner: { command, ... }`, `objective: { metric, ... }`, `mutator: { searchSpace | patches |
 * llm | agent: options }`, and so may the holdout's runner and objective. `directory` is optional (the config
 * file's folder), `tag` defaults to `default`, and `stop` holds simple stop rules beside `stopWhen`.
 */
export const configSchema = researchOptionsSchema.omit({ abortSignal: true }).extend({
  /** Names the run: branch `autoresearch/<tag>`, state in `.autoresearch/<tag>/`. */
  tag: researchOptionsSchema.shape.tag.default("default"),
  /** The researched directory, relative to the config file. Defaults to the config file's folder. */
  directory: researchOptionsSchema.shape.directory.optional(),
  runner,
  objective,
  mutator: declaredRoleSchema<Mutator, DeclaredMutator>("mutator"),
  holdout: holdout.extend({ runner, objective }).optional(),
  finalEvaluation: finalEvaluation.extend({ runner, objective }).optional(),
  stop: stopSchema.default({}),
});

/** What `defineConfig` accepts. */
export type ResearchConfig = z.input<typeof configSchema>;

/** A config file's content after validation, its roles not built yet. */
export type ParsedConfig = z.output<typeof configSchema>;

/** Identity helper that types a configuration file's export. */
export function defineConfig(config: ResearchConfig): ResearchConfig {
  return config;
}
