import { z } from "zod";
import { evaluationSchema } from "../loop/research-options.js";
import type { AgentMutatorOptions } from "../mutators/agent-mutator.js";
import type { LlmMutatorOptions } from "../mutators/llm-mutator.js";
import type { PatchQueueMutatorOptions } from "../mutators/patch-queue-mutator.js";
import type { SearchSpaceMutatorOptions } from "../mutators/search-space-mutator.js";
import type { CaseFileObjectiveOptions } from "../objectives/case-file-objective.js";
import type { InspectObjectiveOptions } from "../objectives/inspect-objective.js";
import type { MetricObjectiveOptions } from "../objectives/metric-objective.js";
import type { PromptfooObjectiveOptions } from "../objectives/promptfoo-objective.js";
import type { CommandRunnerOptions } from "../runners/command-runner.js";
import type { PromptfooRunnerOptions } from "../runners/promptfoo-runner.js";
import type { StopCondition } from "../spec/events.js";
import type { Mutator } from "../spec/mutator.js";
import type { Objective } from "../spec/objective.js";
import type { Runner } from "../spec/runner.js";

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const hasMethod = (value: unknown, method: string) => isObject(value) && typeof value[method] === "function";

function roleOr<Role, Declared>(method: string, describe: string, keys?: readonly string[]) {
  return z.custom<Role | Declared>(
    (value) =>
      hasMethod(value, method) ||
      (isObject(value) && (keys === undefined || keys.some((key) => key in value))),
    { message: `expected ${describe}` },
  );
}

/** A mutator written as data: one of these keys, holding that built-in's options. */
export type DeclaredMutator =
  | { searchSpace: SearchSpaceMutatorOptions }
  | { patches: PatchQueueMutatorOptions["patches"] }
  | { llm: LlmMutatorOptions }
  | { agent: AgentMutatorOptions };

export const mutatorKeys = ["searchSpace", "patches", "llm", "agent"] as const;

/** A runner written as data: a command runner's options, or `{ promptfoo: options }`. */
export type DeclaredRunner = CommandRunnerOptions | { promptfoo: PromptfooRunnerOptions };

/** An objective written as data: a metric objective's options, or one keyed by the eval harness it reads. */
export type DeclaredObjective =
  | MetricObjectiveOptions
  | { promptfoo: PromptfooObjectiveOptions }
  | { inspect: InspectObjectiveOptions }
  | { caseFile: CaseFileObjectiveOptions };

const runnerSchema = roleOr<Runner, DeclaredRunner>(
  "run",
  'a runner, or a command runner\'s options such as `{ command: "python train.py", timeoutMs: 600000 }`, or `{ promptfoo: options }`',
  ["command", "promptfoo"],
);

const objectiveSchema = roleOr<Objective, DeclaredObjective>(
  "measure",
  'an objective, or a metric objective\'s options such as `{ metric: "val_bpb", direction: "minimize" }`, or `{ promptfoo | inspect | caseFile: options }`',
  ["metric", "promptfoo", "inspect", "caseFile"],
);

/** Simple stop rules; `stopWhen` takes any predicate for the rest. */
export const stopSchema = z.object({
  maxTrials: z.number().int().positive().optional(),
  maxWallTimeMs: z.number().positive().optional(),
  /** Stop after this many trials in a row without a keep. */
  patience: z.number().int().positive().optional(),
  /** Stop once the incumbent reaches this value. */
  target: z.number().optional(),
  maxCostUsd: z.number().positive().optional(),
});

/**
 * The configuration file's shape (`autoresearch.config.ts`). Each role is either an object implementing it or
 * the options of a built-in, written as plain data, so a config file needs no imports.
 */
export const configSchema = z.object({
  /** Names the run: branch `autoresearch/<tag>`, state in `.autoresearch/<tag>/`. */
  tag: z.string().min(1).default("default"),
  /** The researched directory, relative to the config file. Defaults to the config file's folder. */
  directory: z.string().min(1).optional(),
  runner: runnerSchema,
  objective: objectiveSchema,
  mutator: roleOr<Mutator, DeclaredMutator>(
    "propose",
    `a mutator, or one of \`{ ${mutatorKeys.join(" | ")}: options }\``,
    mutatorKeys,
  ),
  scope: z.object({
    editable: z.array(z.string().min(1)).min(1),
    protected: z.array(z.string().min(1)).default([]),
  }),
  stop: stopSchema.default({}),
  stopWhen: z
    .union([
      z.custom<StopCondition>((value) => typeof value === "function"),
      z.array(z.custom<StopCondition>((value) => typeof value === "function")),
    ])
    .optional(),
  evaluation: evaluationSchema.prefault({}),
  repairAttempts: z.number().int().min(0).default(0),
  env: z.record(z.string(), z.string()).default({}),
  maxConsecutiveFailures: z.number().int().min(1).default(5),
  /** Checked before each keep: see `holdout` in the research options. */
  holdout: z
    .object({ runner: runnerSchema, objective: objectiveSchema, tolerance: z.number().min(0).default(0) })
    .optional(),
  /** The sealed test, run once at the end: see `finalEvaluation` in the research options. */
  finalEvaluation: z
    .object({ runner: runnerSchema, objective: objectiveSchema, repeats: z.number().int().min(1).default(1) })
    .optional(),
});

/** What `defineConfig` accepts. */
export type ResearchConfig = z.input<typeof configSchema>;

/** Identity helper that types a configuration file's export. */
export function defineConfig(config: ResearchConfig): ResearchConfig {
  return config;
}
