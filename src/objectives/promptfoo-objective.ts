import { resolve } from "node:path";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { Objective } from "../spec/objective.js";
import { buildCaseObjective, caseObjectiveOptionsShape } from "./case-objective.js";
import { readPromptfooResults } from "./read-promptfoo-results.js";

const promptfooObjectiveOptionsSchema = z.strictObject({
  /** The file `promptfoo eval -o <file>` wrote, relative to the run's directory. */
  file: z.string().min(1).default("results.json"),
  /** A case's value: 1 or 0 by promptfoo's `success` (default), or its `score`. */
  caseValue: z.enum(["pass", "score"]).default("pass"),
  /** The optimized metric: `pass_rate` (default with `caseValue: "pass"`), `score`, `namedScores.<name>`, … */
  metric: z.string().min(1).optional(),
  ...caseObjectiveOptionsShape,
});

/** Options of {@link createPromptfooObjective}. */
export type PromptfooObjectiveOptions = z.input<typeof promptfooObjectiveOptionsSchema>;

/**
 * An objective over a promptfoo suite: reads the results file `promptfoo eval -o results.json` writes (never the
 * console), one case per test (its `metadata.id`, else its description), and decides case by case. promptfoo
 * exits with 100 when some test failed; that run is measured like any other.
 */
export function createPromptfooObjective(options: PromptfooObjectiveOptions = {}): Objective {
  const parsed = promptfooObjectiveOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { file, caseValue, metric, ...common } = parsed.data;
  return buildCaseObjective(
    {
      name: "promptfoo",
      metric: metric ?? (caseValue === "pass" ? "pass_rate" : "score"),
      source: `promptfoo's ${file}`,
      measuredExitCodes: [100],
      caseMetrics: caseValue === "pass" ? ["pass_rate", "passes"] : ["score"],
      read: (directory) => readPromptfooResults(resolve(directory, file), caseValue),
    },
    common,
  );
}
