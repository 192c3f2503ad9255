import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createCommandRunner,
  createMetricObjective,
  defineRunner,
  isTrialCount,
  type ResearchOptions,
  runResearch,
} from "../src/index.js";
import { createRandom, normalSample } from "../src/random.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { MockMutator, MockRunner } from "../src/testing/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

const bubblewrap = await detectBubblewrap();

/** Seeded standard-normal noise. */
function normal(seed: number): () => number {
  const random = createRandom(seed);
  return () => normalSample(random);
}

const counting = () => {
  let value = 0;
  return new MockMutator({
    propose: () => {
      value++;
      return { files: { "params.txt": `${value}\n` }, description: `params ${value}` };
    },
  });
};

async function keepsOnPureNoise(
  options: Pick<ResearchOptions, "objective" | "evaluation">,
  seed: number,
): Promise<number> {
  const directory = createRepository({ "params.txt": "0\n" });
  const noise = normal(seed);
  const summary = await runResearch({
    directory,
    tag: "noise",
    mutator: counting(),
    // The metric ignores the code entirely: 10 plus Gaussian noise of sd 0.1.
    runner: new MockRunner({ run: () => `score: ${(10 + 0.1 * noise()).toFixed(6)}\n` }),
    scope: { editable: ["params.txt"], protected: [] },
    stopWhen: isTrialCount(51),
    ...options,
  });
  expect(summary.records).toHaveLength(51);
  return summary.records.filter((record) => record.kind !== "baseline" && record.status === "keep").length;
}

describe("decisions that survive noise", () => {
  it("keeps nothing of 50 pure-noise trials by default or with the welch policy, where the naive rule keeps several", async () => {
    const naive = await keepsOnPureNoise(
      {
        objective: createMetricObjective({
          metric: "score",
          direction: "minimize",
          decision: { rule: "strictly-better" },
        }),
      },
      7,
    );
    const byDefault = await keepsOnPureNoise(
      { objective: createMetricObjective({ metric: "score", direction: "minimize" }) },
      7,
    );
    const aware = await keepsOnPureNoise(
      {
        objective: createMetricObjective({
          metric: "score",
          direction: "minimize",
          decision: { rule: "welch", alpha: 0.05 },
          noiseMultiple: 2,
        }),
        evaluation: { repeats: 1, confirm: 4, baselineRepeats: 5 },
      },
      7,
    );
    console.log(
      `pure noise, 50 trials: naive strictly-better rule kept ${naive}, the default kept ${byDefault}, the welch policy kept ${aware}`,
    );
    expect(naive).toBeGreaterThanOrEqual(3);
    expect(byDefault).toBe(0);
    expect(aware).toBe(0);
  });

  it("measures the incumbent alongside, with paired seeds, and records every sample and the statistic", async () => {
    const directory = createRepository({ "params.txt": "0\n" });
    const runner = new MockRunner({
      run: (options) => {
        const unchanged = readFileSync(join(options.directory, "params.txt"), "utf8").trim() === "0";
        return `score: ${Number(options.env.AUTORESEARCH_SEED) + (unchanged ? 5 : 1)}\n`;
      },
    });
    const summary = await runResearch({
      directory,
      tag: "paired",
      mutator: counting(),
      runner,
      objective: createMetricObjective({
        metric: "score",
        direction: "minimize",
        decision: { rule: "welch" },
      }),
      scope: { editable: ["params.txt"], protected: [] },
      evaluation: { repeats: 2, incumbentRepeats: 2 },
      stopWhen: isTrialCount(2),
    });
    const seeds = runner.calls.map((call) => call.env.AUTORESEARCH_SEED);
    // Baseline 0, 1; then candidate 0, incumbent 0, candidate 1, incumbent 1.
    expect(seeds).toEqual(["0", "1", "0", "0", "1", "1"]);
    const trial = summary.records[1];
    expect(trial?.samples).toEqual([1, 2]);
    expect(trial?.incumbentSamples).toEqual([5, 6]);
    expect(trial?.comparison?.rule).toBe("welch-t");
    expect(trial?.comparison?.statistics?.p).toBeTypeOf("number");
    expect(trial?.status).toBe("keep");
  });
});

describe("tamper-evident evaluation", () => {
  const tampering = () =>
    createRepository({
      "params.txt": "0\n",
      "evaluate.js": "// the evaluator\n",
      "run.js": [
        'const fs = require("node:fs");',
        'const value = Number(fs.readFileSync("params.txt", "utf8"));',
        'if (value === 1) fs.appendFileSync("evaluate.js", "cheat();\\n");',
        'console.log("score: " + (value === 1 ? 0.0001 : 10 - value));',
      ].join("\n"),
    });
  const tamperResearch = (directory: string, sandbox: false | "auto") =>
    runResearch({
      directory,
      tag: "tamper",
      mutator: counting(),
      runner: createCommandRunner({ command: ["node", "run.js"], timeoutMs: 30_000 }),
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      scope: { editable: ["params.txt"], protected: ["evaluate.js", "run.js"] },
      stopWhen: isTrialCount(3),
      sandbox,
    });

  it("records a run that edits a protected file and then prints a great metric as invalid (unsandboxed)", async () => {
    const directory = tampering();
    const summary = await tamperResearch(directory, false);
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "invalid", "keep"]);
    expect(summary.records[1]?.reason).toBe("protected files changed during the run: evaluate.js");
    expect(summary.best?.id).toBe(2);
    expect(gitSync(directory, "show", "autoresearch/tamper:evaluate.js")).toBe("// the evaluator");
  });

  it.skipIf(!bubblewrap.available && !process.env.CI)(
    "refuses the write to a protected file in the sandbox: the run fails instead of printing its number",
    async () => {
      const directory = tampering();
      const summary = await tamperResearch(directory, "auto");
      expect(summary.records.map((record) => record.status)).toEqual(["keep", "crash", "keep"]);
      const log = readFileSync(
        join(directory, ".autoresearch/tamper", summary.records[1]?.log ?? ""),
        "utf8",
      );
      expect(log).toMatch(/EROFS|read-only file system/i);
      expect(summary.best?.id).toBe(2);
      expect(gitSync(directory, "show", "autoresearch/tamper:evaluate.js")).toBe("// the evaluator");
    },
  );

  it("runs the holdout only for a candidate about to be kept and refuses a regression there", async () => {
    const directory = createRepository({ "params.txt": "0\n" });
    const holdoutRuns: number[] = [];
    const summary = await runResearch({
      directory,
      tag: "holdout",
      mutator: counting(),
      runner: new MockRunner({ run: (options) => `score: ${10 - options.trial}\n` }),
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      holdout: {
        runner: defineRunner({
          name: "holdout",
          run: async (options) => {
            holdoutRuns.push(options.trial);
            const value = readFileSync(join(options.directory, "params.txt"), "utf8").trim();
            // Trial 2's change overfits: better on the main metric, worse on held-out data.
            return new MockRunner({ run: `held_out: ${value === "2" ? 9 : 5 - Number(value)}\n` }).run(
              options,
            );
          },
        }),
        objective: createMetricObjective({ metric: "held_out", direction: "minimize" }),
      },
      scope: { editable: ["params.txt"], protected: [] },
      stopWhen: isTrialCount(4),
    });
    expect(
      summary.records.map((record) => record.status),
      summary.records[1]?.reason,
    ).toEqual(["keep", "keep", "discard", "keep"]);
    expect(summary.records[1]?.holdout).toEqual({ metric: 4, incumbent: 5, passed: true });
    expect(summary.records[2]?.holdout).toEqual({ metric: 9, incumbent: 4, passed: false });
    expect(summary.records[2]?.reason).toContain("holdout regressed");
    // Trial 1 measured the incumbent's holdout once; trial 3 reused trial 1's.
    expect(holdoutRuns).toEqual([1, 1, 2, 3]);
  });
});

describe("failures are records", () => {
  it("records crashes and timeouts, and repairs a crash from its log tail", async () => {
    const directory = createRepository({ "params.txt": "0\n" });
    const mutator = new MockMutator({
      propose: (options) => {
        if (options.repair) return { files: { "params.txt": "fixed\n" }, description: "fix the typo" };
        return { files: { "params.txt": `${options.trial}\n` }, description: `try ${options.trial}` };
      },
    });
    const runner = new MockRunner({
      run: (options) => {
        const value = readFileSync(join(options.directory, "params.txt"), "utf8").trim();
        if (value === "1") return { output: "Traceback: NameError: nme\n", exitCode: 1 };
        if (value === "3") return { output: "step 1\n", timedOut: true, exitCode: 143 };
        return `score: ${value === "fixed" ? 1 : 5}\n`;
      },
    });
    const summary = await runResearch({
      directory,
      tag: "failures",
      mutator,
      runner,
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      scope: { editable: ["params.txt"], protected: [] },
      repairAttempts: 1,
      stopWhen: isTrialCount(4),
    });
    const [, crashed, repaired, timedOut] = summary.records;
    expect(crashed?.status).toBe("crash");
    expect(crashed?.reason).toBe("exited with code 1");
    expect(repaired?.kind).toBe("repair");
    expect(repaired?.repairOf).toBe(crashed?.id);
    expect(repaired?.parent).toBe(crashed?.commit);
    expect(repaired?.status).toBe("keep");
    expect(mutator.calls[1]?.repair?.logTail).toContain("NameError");
    expect(timedOut?.status).toBe("timeout");
    expect(gitSync(directory, "show", "autoresearch/failures:params.txt")).toBe("fixed");
  });

  it("measures a repair of a repair with the idea and every fix, not the fixes alone", async () => {
    const directory = createRepository({ "idea.txt": "0\n", "fix1.txt": "0\n", "fix2.txt": "0\n" });
    const mutator = new MockMutator({
      propose: (options) => {
        if (options.repair?.attempt === 1) return { files: { "fix1.txt": "1\n" }, description: "first fix" };
        if (options.repair?.attempt === 2) return { files: { "fix2.txt": "1\n" }, description: "second fix" };
        return { files: { "idea.txt": "1\n" }, description: "the idea" };
      },
    });
    const seen: string[] = [];
    const runner = new MockRunner({
      run: (options) => {
        const read = (name: string) => readFileSync(join(options.directory, name), "utf8").trim();
        const files = `${read("idea.txt")}${read("fix1.txt")}${read("fix2.txt")}`;
        seen.push(files);
        // The idea needs both fixes to run; its score is better than the baseline's only with the idea in it.
        if (files === "000") return "score: 5\n";
        if (files !== "111") return { output: "Traceback: not fixed yet\n", exitCode: 1 };
        return "score: 1\n";
      },
    });
    const summary = await runResearch({
      directory,
      tag: "repairs",
      mutator,
      runner,
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      scope: { editable: ["*.txt"], protected: [] },
      repairAttempts: 2,
      stopWhen: isTrialCount(4),
    });
    expect(summary.records.map((record) => [record.kind, record.status])).toEqual([
      ["baseline", "keep"],
      ["proposal", "crash"],
      ["repair", "crash"],
      ["repair", "keep"],
    ]);
    // The baseline twice (is it deterministic?), then the idea, the idea with one fix, with both.
    expect(seen).toEqual(["000", "000", "100", "110", "111"]);
    expect(gitSync(directory, "show", "autoresearch/repairs:idea.txt")).toBe("1");
  });
});
