import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { createMetricObjective } from "./metric-objective.js";

describe("the metric objective's progress reader", () => {
  it("reads a step and a value by name, whatever separates them", () => {
    const objective = createMetricObjective({
      metric: "val_bpb",
      direction: "minimize",
      progress: { progress: "step", value: "val_loss" },
    });
    expect(objective.readProgress?.("step 300 | lr 0.02 | val_loss 3.91")).toEqual({
      progress: 300,
      value: 3.91,
    });
    expect(objective.readProgress?.("step=12, val_loss: 4.5e0")).toEqual({ progress: 12, value: 4.5 });
    // Both must be on the line, and a longer name is not the one asked for.
    expect(objective.readProgress?.("step 300 | loss 3.2")).toBeUndefined();
    expect(objective.readProgress?.("substep 3 val_loss 1")).toBeUndefined();
  });

  it("reads a pattern's named groups", () => {
    const objective = createMetricObjective({
      metric: "val_bpb",
      direction: "minimize",
      progress: { pattern: /^\[(?<progress>\d+)s\] bpb=(?<value>[\d.]+)/ },
    });
    expect(objective.readProgress?.("[60s] bpb=1.25 tokens=3M")).toEqual({ progress: 60, value: 1.25 });
    expect(objective.readProgress?.("bpb=1.25")).toBeUndefined();
  });

  it("has no reader without `progress`, and refuses a pattern without both groups", () => {
    expect(createMetricObjective({ metric: "x", direction: "minimize" }).readProgress).toBeUndefined();
    expect(() =>
      createMetricObjective({ metric: "x", direction: "minimize", progress: { pattern: "step (\\d+)" } }),
    ).toThrow(ConfigurationError);
  });
});
