import { resolve } from "node:path";
import { z } from "zod";
import { toConfigurationError } from "../errors/format-zod-error.js";
import type { Objective } from "../spec/objective.js";
import { buildCaseObjective, caseObjectiveOptionsShape } from "./case-objective.js";
import { newestInspectLog, readInspectLog } from "./read-inspect-log.js";

const inspectObjectiveOptionsSchema = z
  .strictObject({
    /** The log file, relative to the run's directory (`inspect eval … --log-format=json --log-dir <dir>`). */
    file: z.string().min(1).optional(),
    /** Or the log directory: the newest `<timestamp>_<task>_<id>.json` in it is read. Default `logs`. */
    logDirectory: z.string().min(1).optional(),
    /** The scorer whose per-sample values are the cases. Default: the first in `results.scores`. */
    scorer: z.string().min(1).optional(),
    /** The optimized metric: a bare name (`accuracy`, the scorer's) or `<scorer>.<metric>`. Default `accuracy`. */
    metric: z.string().min(1).default("accuracy"),
    ...caseObjectiveOptionsShape,
  })
  .refine((options) => options.file === undefined || options.logDirectory === undefined, {
    message: "either `file` or `logDirectory`, not both",
  });

/** Options of {@link createInspectObjective}. */
export type InspectObjectiveOptions = z.input<typeof inspectObjectiveOptionsSchema>;

/**
 * An objective over an Inspect AI task: reads the JSON log (`--log-format=json`), NaN and Infinity included, one
 * case per sample id (epochs are attempts), and decides case by case.
 */
export function createInspectObjective(options: InspectObjectiveOptions = {}): Objective {
  const parsed = inspectObjectiveOptionsSchema.safeParse(options);
  if (!parsed.success) throw toConfigurationError(parsed.error, options);
  const { file, logDirectory, scorer, metric, ...common } = parsed.data;
  const where = file ?? `the newest log in ${logDirectory ?? "logs"}/`;
  return buildCaseObjective(
    {
      name: "inspect",
      metric,
      source: `the Inspect log ${where}`,
      measuredExitCodes: [],
      // The chosen scorer's mean over samples. `<scorer>.accuracy` is decided case by case when `scorer` names
      // it; without, the cases are the first scorer's, which may be another.
      caseMetrics: [
        "accuracy",
        "mean",
        ...(scorer === undefined ? [] : [`${scorer}.accuracy`, `${scorer}.mean`]),
      ],
      read: async (directory) =>
        readInspectLog(
          file === undefined
            ? await newestInspectLog(resolve(directory, logDirectory ?? "logs"))
            : resolve(directory, file),
          scorer,
        ),
    },
    common,
  );
}
