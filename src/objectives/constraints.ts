import { z } from "zod";
import { formatNumber } from "./decision-rules.js";

/** Bounds on one metric, e.g. `{ max: 80000 }`. */
export const constraintSchema = z
  .object({ min: z.number().optional(), max: z.number().optional() })
  .refine((bounds) => bounds.min !== undefined || bounds.max !== undefined, "`min`, `max` or both")
  .refine(
    (bounds) => bounds.min === undefined || bounds.max === undefined || bounds.min <= bounds.max,
    "`min` to be at most `max`",
  );

/** Bounds by metric name; a violation makes the trial a discard. */
export const constraintsSchema = z.record(z.string(), constraintSchema).default({});

export type Constraints = z.output<typeof constraintsSchema>;

/** The violated constraints, one line each: `peak_vram_mb 81234 > 80000`, or `cost.total missing (…)`. */
export function checkConstraints(constraints: Constraints, metrics: Record<string, number>): string[] {
  const violations: string[] = [];
  for (const [name, bounds] of Object.entries(constraints)) {
    const value = metrics[name];
    if (value === undefined) {
      const wanted = [
        bounds.min === undefined ? undefined : `>= ${formatNumber(bounds.min)}`,
        bounds.max === undefined ? undefined : `<= ${formatNumber(bounds.max)}`,
      ].filter((text) => text !== undefined);
      violations.push(`${name} missing (expected ${wanted.join(" and ")})`);
    } else if (bounds.min !== undefined && value < bounds.min) {
      violations.push(`${name} ${formatNumber(value)} < ${formatNumber(bounds.min)}`);
    } else if (bounds.max !== undefined && value > bounds.max) {
      violations.push(`${name} ${formatNumber(value)} > ${formatNumber(bounds.max)}`);
    }
  }
  return violations;
}
