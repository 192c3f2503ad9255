import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../errors/autoresearch-error.js";
import { isJobNameOf, jobName } from "./job-name.js";
import { createSlurmRunner } from "./slurm-runner.js";
import { normalizeSlurmRunnerOptions, resourceArguments } from "./slurm-runner-options.js";

describe("the Slurm runner's options", () => {
  it("turns sbatch options into flags, with --time derived from the run's timeout", () => {
    const options = normalizeSlurmRunnerOptions({
      command: "python train.py",
      timeoutMs: 5 * 60_000,
      killGraceMs: 30_000,
      sbatch: {
        partition: "gpu",
        gres: "gpu:1",
        cpusPerTask: 8,
        mem: "64G",
        account: "lab",
        qos: "normal",
        extra: ["--constraint=h100"],
      },
    });
    expect(resourceArguments(options.sbatch, options)).toEqual([
      "--partition=gpu",
      "--account=lab",
      "--qos=normal",
      "--gres=gpu:1",
      "--cpus-per-task=8",
      "--mem=64G",
      // 5.5 minutes rounded up, plus one: the runner's own timeout always comes first.
      "--time=7",
      "--constraint=h100",
    ]);
    const explicit = normalizeSlurmRunnerOptions({
      command: "x",
      timeoutMs: 1000,
      sbatch: { time: "01:00:00" },
    });
    expect(resourceArguments(explicit.sbatch, explicit)).toEqual(["--time=01:00:00"]);
    const none = normalizeSlurmRunnerOptions({ command: "x" });
    expect(resourceArguments(none.sbatch, none)).toEqual([]);
  });

  it("rejects bad options with the field, what was expected and what was got", () => {
    const attempts: [unknown, RegExp][] = [
      [{ command: "" }, /`command`/],
      [{ command: "x", sbatch: { mem: "lots" } }, /`sbatch.mem`: expected .*`64G`.*got `"lots"`/],
      [{ command: "x", sbatch: { time: "soon" } }, /`sbatch.time`/],
      [
        { command: "x", sbatch: { partition: "a b" } },
        /`sbatch.partition`: expected a partition name without spaces/,
      ],
      [{ command: "x", sbatch: { extra: ["--output=/tmp/x"] } }, /`sbatch.extra`: expected flags other than/],
      [{ command: "x", sbatch: { gpus: 1 } }, /`sbatch.gpus`/],
      [{ command: "x", pollIntervalMs: 1 }, /`pollIntervalMs`/],
    ];
    for (const [options, message] of attempts) {
      let error: unknown;
      try {
        createSlurmRunner(options as Parameters<typeof createSlurmRunner>[0]);
      } catch (caught) {
        error = caught;
      }
      expect(ConfigurationError.isInstance(error), JSON.stringify(options)).toBe(true);
      expect((error as Error).message, JSON.stringify(options)).toMatch(message);
    }
  });
});

describe("job names", () => {
  it("name the research, the trial and the sample, and recognize only this research's", () => {
    expect(jobName("night", 12, "1")).toBe("autoresearch-night-12-1");
    expect(jobName("a/b c", 3, "0")).toBe("autoresearch-a_b_c-3-0");
    expect(isJobNameOf("autoresearch-night-12-1", "night")).toBe(true);
    expect(isJobNameOf("autoresearch-night-2-12-1", "night")).toBe(false);
    expect(isJobNameOf("autoresearch-night-2-12-1", "night-2")).toBe(true);
    expect(isJobNameOf("train-night-12-1", "night")).toBe(false);
  });
});
