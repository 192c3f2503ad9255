import type { CompareOptions, Direction, MeasureOptions, Objective } from "../spec/objective.js";
import type { Comparison, Measurement } from "../spec/records.js";
import { nextScripted, type Scripted } from "./values.js";

/**
 * An objective whose measurements are scripted (a number is a measurement of that value). Comparison is the
 * plain strictly-better rule unless `compare` is given.
 */
export class MockObjective implements Objective {
  readonly name = "mock-objective";
  readonly metric: string;
  readonly direction: Direction;
  readonly calls: MeasureOptions[] = [];
  private readonly script: Scripted<Measurement | number, MeasureOptions>;
  private readonly comparer: ((options: CompareOptions) => Comparison) | undefined;

  constructor(options: {
    measure: Scripted<Measurement | number, MeasureOptions>;
    metric?: string;
    direction?: Direction;
    compare?: (options: CompareOptions) => Comparison;
  }) {
    this.script = options.measure;
    this.metric = options.metric ?? "metric";
    this.direction = options.direction ?? "minimize";
    this.comparer = options.compare;
  }

  async measure(options: MeasureOptions): Promise<Measurement> {
    const call = this.calls.length;
    this.calls.push(options);
    const scripted = await nextScripted(this.script, options, call);
    if (typeof scripted === "number") {
      return { metrics: { [this.metric]: scripted }, value: scripted, violations: [] };
    }
    return scripted;
  }

  compare(options: CompareOptions): Comparison {
    if (this.comparer) return this.comparer(options);
    const average = (values: readonly number[]) =>
      values.reduce((sum, value) => sum + value, 0) / values.length;
    const delta = average(options.candidate) - average(options.incumbent);
    const better = this.direction === "minimize" ? delta < 0 : delta > 0;
    return { better, delta, rule: "strictly-better", reason: better ? "better" : "not better" };
  }
}
