import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isTrialCount, runResearch, streamResearch } from "../src/index.js";
import { MockMutator, MockObjective, MockRunner } from "../src/testing/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

describe("the research loop with mock roles on a real repository", () => {
  it("runs a baseline, keeps improvements, discards the rest and records every trial", async () => {
    const directory = createRepository({ "params.json": '{"x": 1}\n', "eval.js": "// protected\n" });
    const mutator = new MockMutator({
      propose: [
        { files: { "params.json": '{"x": 2}\n' }, description: "x to 2" },
        { files: { "params.json": '{"x": 3}\n' }, description: "x to 3" },
        { files: { "params.json": '{"x": 4}\n' }, description: "x to 4" },
      ],
    });
    const objective = new MockObjective({ measure: [10, 8, 9, 7], direction: "minimize" });
    const runner = new MockRunner({ run: "score: 1\n" });
    const summary = await runResearch({
      directory,
      tag: "t1",
      objective,
      mutator,
      runner,
      scope: { editable: ["params.json"], protected: ["eval.js"] },
      stopWhen: isTrialCount(4),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "keep", "discard", "keep"]);
    expect(summary.best?.metric).toBe(7);
    expect(summary.stopReason).toBe("trial-count");
    const branchHead = gitSync(directory, "rev-parse", "autoresearch/t1");
    expect(branchHead).toBe(summary.records[3]?.commit);
    expect(gitSync(directory, "show", "autoresearch/t1:params.json")).toBe('{"x": 4}');
    // The discarded trial stays reachable with its diff.
    expect(gitSync(directory, "show", "refs/autoresearch/t1/trials/2")).toContain('+{"x": 3}');
    const ledger = readFileSync(join(directory, ".autoresearch/t1/ledger.jsonl"), "utf8").trim().split("\n");
    expect(ledger).toHaveLength(4);
    const tsv = readFileSync(join(directory, ".autoresearch/t1/results.tsv"), "utf8").split("\n");
    expect(tsv[0]).toBe("commit\tmetric\tmemory_gb\tstatus\tdescription");
    expect(tsv[3]).toMatch(/^[0-9a-f]{7}\t9\.000000\t0\.0\tdiscard\tx to 3$/);
    const description = JSON.parse(readFileSync(join(directory, ".autoresearch/t1/research.json"), "utf8"));
    expect(description).toMatchObject({
      tag: "t1",
      metric: "metric",
      direction: "minimize",
      branch: "autoresearch/t1",
    });
    // The user's checkout is untouched.
    expect(gitSync(directory, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(readFileSync(join(directory, "params.json"), "utf8")).toBe('{"x": 1}\n');
  });

  it("records a proposal touching a protected or out-of-scope file as invalid and never runs it", async () => {
    const directory = createRepository({ "params.json": "1\n", "eval.js": "ok\n", "other.txt": "a\n" });
    const mutator = new MockMutator({
      propose: [
        { files: { "eval.js": "return 0\n" }, description: "edit the evaluator" },
        { files: { "other.txt": "b\n" }, description: "edit something else" },
      ],
    });
    const runner = new MockRunner({ run: "" });
    const summary = await runResearch({
      directory,
      tag: "scope",
      objective: new MockObjective({ measure: 1 }),
      mutator,
      runner,
      scope: { editable: ["params.json"], protected: ["eval.js"] },
      stopWhen: isTrialCount(3),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "invalid", "invalid"]);
    expect(summary.records[1]?.reason).toContain("protected files: eval.js");
    expect(summary.records[2]?.reason).toContain("outside the editable scope: other.txt");
    expect(runner.calls).toHaveLength(1);
  });

  it("yields typed events in order and resumes without repeating trials", async () => {
    const directory = createRepository({ "a.txt": "0\n" });
    let value = 0;
    const makeMutator = () =>
      new MockMutator({
        propose: () => {
          value++;
          return { files: { "a.txt": `${value}\n` }, description: `a = ${value}` };
        },
      });
    const options = {
      directory,
      tag: "resume",
      objective: new MockObjective({ measure: (_: unknown, call: number) => 100 - call }),
      runner: new MockRunner({ run: "" }),
      scope: { editable: ["a.txt"], protected: [] },
    };
    const types: string[] = [];
    const stream = streamResearch({ ...options, mutator: makeMutator(), stopWhen: isTrialCount(3) });
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe("research-start");
    expect(types.at(-1)).toBe("research-end");
    expect(types.filter((type) => type === "trial-end")).toHaveLength(3);

    const resumed = await runResearch({ ...options, mutator: makeMutator(), stopWhen: isTrialCount(5) });
    expect(resumed.records.map((record) => record.id)).toEqual([0, 1, 2, 3, 4]);
    expect(resumed.trials).toBe(2);
    expect(resumed.records.filter((record) => record.kind === "baseline")).toHaveLength(1);
  });
});

describe("an objective that throws", () => {
  it("records the trial as a crash with the objective's message and goes on", async () => {
    const directory = createRepository({ "a.txt": "0\n" });
    let value = 0;
    const summary = await runResearch({
      directory,
      tag: "throws",
      mutator: new MockMutator({
        propose: () => ({ files: { "a.txt": `${++value}\n` }, description: `a ${value}` }),
      }),
      runner: new MockRunner({ run: "" }),
      objective: new MockObjective({
        measure: (_options, call) => {
          if (call === 1) throw new Error("cannot parse eval.json");
          return 10 - call;
        },
      }),
      scope: { editable: ["a.txt"], protected: [] },
      stopWhen: isTrialCount(3),
    });
    expect(summary.records.map((record) => record.status)).toEqual(["keep", "crash", "keep"]);
    expect(summary.records[1]?.reason).toBe("the objective failed: cannot parse eval.json");
  });
});
