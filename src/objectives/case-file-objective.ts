import { resolve } from "node:path";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { Objective } from "../spec/objective.js";
import { buildCaseObjective, caseObjectiveOptionsShape } from "./case-objective.js";
import { readCaseFile } from "./read-case-file.js";

const caseFileObjectiveOptionsSchema = z.strictObject({
  /** The JSON Lines file the suite writes, relative to the run's directory: `{"id": …, "pass": …}` per line. */
  file: z.string().min(1),
  /** The optimized metric: `score` (default; the pass rate for pass/fail lines), `pass_rate`, `cost.total`, … */
  metric: z.string().min(1).default("score"),
  ...caseObjectiveOptionsShape,
});

/** Options of {@link createCaseFileObjective}. */
export type CaseFileObjectiveOptions = z.input<typeof caseFileObjectiveOptionsSchema>;

/**
 * An objective over a home-made suite that writes one JSON line per case (`{ "id", "pass" }` or
 * `{ "id", "score" }`, plus any numbers such as `cost` or `latency_ms`), decided case by case.
 */
export function createCaseFileObjective(options: CaseFileObjectiveOptions): Objective {
  const parsed = caseFileObjectiveOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { file, metric, ...common } = parsed.data;
  return buildCaseObjective(
    {
      name: "case-file",
      metric,
      // `score` is the mean of the case values (the pass rate for pass/fail lines).
      caseMetrics: ["score", "pass_rate"],
      source: file,
      measuredExitCodes: [],
      read: (directory) => readCaseFile(resolve(directory, file)),
    },
    common,
  );
}
