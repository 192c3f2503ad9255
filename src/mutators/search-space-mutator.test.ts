import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import type { TrialRecord } from "../spec/records.js";
import { createProposeOptions } from "../testing/propose-options.js";
import { createTrialRecord } from "../testing/trial-record.js";
import { createSearchSpaceMutator } from "./search-space-mutator.js";

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "search-space-"));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function record(id: number, proposal: Proposal, status: TrialRecord["status"]): TrialRecord {
  const metadata = proposal.type === "exhausted" ? undefined : proposal.metadata;
  return createTrialRecord({
    id,
    kind: "proposal",
    description: proposal.type === "edit" ? proposal.description : "",
    status,
    proposer: metadata === undefined ? { name: "search-space" } : { name: "search-space", metadata },
  });
}

function pointOf(entry: TrialRecord): unknown {
  return entry.proposer.metadata?.point ?? {};
}

function proposeOptions(
  trial: number,
  history: TrialRecord[],
  extra: Partial<ProposeOptions> = {},
): ProposeOptions {
  return createProposeOptions({ directory, trial, history, ...extra });
}

/** Runs the mutator like the loop does: a kept proposal stays in the file, any other is reverted. */
async function runTrials(mutator: Mutator, file: string, count: number, keep: (trial: number) => boolean) {
  const path = join(directory, file);
  const history: TrialRecord[] = [];
  const proposals: Proposal[] = [];
  for (let trial = 1; trial <= count; trial++) {
    const before = await readFile(path, "utf8");
    const proposal = await mutator.propose(proposeOptions(trial, history));
    proposals.push(proposal);
    if (proposal.type === "exhausted") break;
    const kept = keep(trial);
    if (!kept) await writeFile(path, before);
    history.push(record(trial, proposal, kept ? "keep" : "discard"));
  }
  return { history, proposals };
}

const configText = `{
  "learning_rate": 0.002,
  "hidden_size": 64,
  "activation": "tanh",
  "optimizer": { "beta1": 0.9 },
  "steps": 1000
}
`;

describe("createSearchSpaceMutator", () => {
  it("changes one or two values per proposal, in place, and describes the change", async () => {
    await writeFile(join(directory, "config.json"), configText);
    const mutator = createSearchSpaceMutator({
      file: "config.json",
      space: {
        learning_rate: { type: "float", min: 1e-4, max: 0.1, log: true },
        hidden_size: { type: "int", min: 16, max: 256, log: true },
        activation: { type: "choice", values: ["tanh", "relu"] },
        "optimizer.beta1": { type: "float", min: 0.8, max: 0.99 },
      },
      seed: 3,
    });
    expect(mutator.name).toBe("search-space");
    const proposal = await mutator.propose(proposeOptions(1, []));
    expect(proposal.type).toBe("edit");
    if (proposal.type !== "edit") return;
    const text = await readFile(join(directory, "config.json"), "utf8");
    const changed = proposal.metadata?.changed as string[];
    expect(changed.length).toBeGreaterThanOrEqual(1);
    expect(changed.length).toBeLessThanOrEqual(2);
    expect(proposal.description.split(", ")).toHaveLength(changed.length);
    expect(proposal.description).toMatch(/^[\w.]+ \S+ -> \S+/);
    // Only the changed values' lines differ; everything else is byte-identical.
    const before = configText.split("\n");
    const after = text.split("\n");
    expect(after).toHaveLength(before.length);
    const differing = before.filter((line, index) => line !== after[index]);
    expect(differing).toHaveLength(changed.length);
    expect(proposal.metadata?.from).toEqual({
      learning_rate: 0.002,
      hidden_size: 64,
      activation: "tanh",
      "optimizer.beta1": 0.9,
    });
    expect(JSON.parse(text)).toMatchObject({ steps: 1000 });
    const point = proposal.metadata?.point as Record<string, unknown>;
    const parsed = JSON.parse(text) as { optimizer: { beta1: number } } & Record<string, unknown>;
    expect({ ...parsed, "optimizer.beta1": parsed.optimizer.beta1 }).toMatchObject(point);
  });

  it("is deterministic given the seed, the trial number and the history", async () => {
    await writeFile(join(directory, "config.json"), configText);
    const space = { learning_rate: { type: "float" as const, min: 1e-4, max: 0.1, log: true } };
    const descriptions: string[] = [];
    for (const seed of [7, 7, 8]) {
      await writeFile(join(directory, "config.json"), configText);
      const proposal = await createSearchSpaceMutator({ file: "config.json", space, seed }).propose(
        proposeOptions(4, []),
      );
      descriptions.push(proposal.type === "edit" ? proposal.description : proposal.type);
    }
    expect(descriptions[0]).toBe(descriptions[1]);
    expect(descriptions[2]).not.toBe(descriptions[0]);
  });

  it("never proposes a point already tried over 30 trials, kept or discarded", async () => {
    await writeFile(join(directory, "train.py"), "LR = 0.01  # rate\nDEPTH = 4\nACT = 'relu'\nSTEPS = 10\n");
    const mutator = createSearchSpaceMutator({
      file: "train.py",
      space: {
        LR: { type: "float", min: 0.001, max: 0.1, log: true },
        DEPTH: { type: "int", min: 2, max: 6 },
        ACT: { type: "choice", values: ["relu", "gelu"] },
      },
      seed: 1,
    });
    const { history } = await runTrials(mutator, "train.py", 30, (trial) => trial % 4 === 0);
    expect(history).toHaveLength(30);
    const keys = history.map((entry) => JSON.stringify(entry.proposer.metadata?.point));
    keys.push(JSON.stringify({ LR: 0.01, DEPTH: 4, ACT: "relu" }));
    expect(new Set(keys).size).toBe(31);
    const text = await readFile(join(directory, "train.py"), "utf8");
    expect(text).toMatch(/^LR = \S+ {2}# rate\nDEPTH = \d\nACT = '(relu|gelu)'\nSTEPS = 10\n$/);
  });

  it("resumes from a ledger without repeating the points it holds", async () => {
    await writeFile(join(directory, "c.yaml"), "depth: 3\n");
    const space = { depth: { type: "int" as const, min: 1, max: 5 } };
    const first = createSearchSpaceMutator({ file: "c.yaml", space, seed: 2 });
    const { history } = await runTrials(first, "c.yaml", 2, () => false);
    // A new mutator (a restarted driver) sees only the history.
    const second = createSearchSpaceMutator({ file: "c.yaml", space, seed: 2 });
    const { proposals } = await runTrials(second, "c.yaml", 1, () => false);
    const proposal = proposals[0]!;
    expect(proposal.type).toBe("edit");
    const resumed = await second.propose(proposeOptions(3, history));
    const tried = new Set(history.map((entry) => (pointOf(entry) as { depth: number }).depth));
    expect(resumed.type).toBe("edit");
    if (resumed.type === "edit") {
      expect(tried.has((resumed.metadata?.point as { depth: number } | undefined)?.depth ?? -1)).toBe(false);
    }
  });

  it("reports an exhausted finite space once every point was tried", async () => {
    await writeFile(join(directory, "config.json"), '{ "mode": "a", "level": 1 }\n');
    const mutator = createSearchSpaceMutator({
      file: "config.json",
      space: { mode: { type: "choice", values: ["a", "b"] }, level: { type: "int", min: 1, max: 3 } },
    });
    const { history, proposals } = await runTrials(mutator, "config.json", 10, () => false);
    expect(history).toHaveLength(5);
    expect(proposals.at(-1)).toEqual({
      type: "exhausted",
      reason: "all 6 points of the search space have been tried",
    });
  });

  it("reports exhaustion when an incumbent moved and every other point was tried", async () => {
    await writeFile(join(directory, "config.json"), '{ "flag": false }\n');
    const mutator = createSearchSpaceMutator({
      file: "config.json",
      space: { flag: { type: "choice", values: [true, false] } },
    });
    const { proposals } = await runTrials(mutator, "config.json", 5, () => true);
    expect(proposals.map((proposal) => proposal.type)).toEqual(["edit", "exhausted"]);
    expect(await readFile(join(directory, "config.json"), "utf8")).toBe('{ "flag": true }\n');
  });

  it("accepts a zod object schema as the space", async () => {
    await writeFile(
      join(directory, "train.js"),
      "export const LR = 0.04;\nexport const DEPTH = 8;\nexport const ACT = 'relu';\nexport const BIAS = true;\n",
    );
    const space = z.object({
      LR: z.number().min(0.001).max(0.1).meta({ log: true }),
      DEPTH: z.number().int().min(8).max(9),
      ACT: z.enum(["relu"]),
      BIAS: z.boolean().default(true),
    });
    const mutator = createSearchSpaceMutator({ file: "train.js", space, seed: 5 });
    const { history } = await runTrials(mutator, "train.js", 12, () => false);
    expect(history).toHaveLength(12);
    for (const entry of history) {
      const point = pointOf(entry) as {
        LR: number;
        DEPTH: number;
        ACT: string;
        BIAS: boolean;
      };
      expect(point.LR).toBeGreaterThanOrEqual(0.001);
      expect(point.LR).toBeLessThanOrEqual(0.1);
      expect([8, 9]).toContain(point.DEPTH);
      expect(point.ACT).toBe("relu");
      expect(typeof point.BIAS).toBe("boolean");
    }
    // Only the floats vary without bound; the ints and booleans cover their four combinations at most.
    const ints = new Set(history.map((entry) => JSON.stringify((pointOf(entry) as { DEPTH: number }).DEPTH)));
    expect(ints.size).toBeLessThanOrEqual(2);
  });

  it("rejects unusable zod fields and bad options with the field named", () => {
    expect(() =>
      createSearchSpaceMutator({ file: "c.json", space: z.object({ lr: z.number().min(0) }) }),
    ).toThrow(/`space\.lr`: a number needs both bounds/);
    expect(() => createSearchSpaceMutator({ file: "c.json", space: z.object({ name: z.string() }) })).toThrow(
      /`space\.name`: expected a bounded `z\.number\(\)`/,
    );
    expect(() =>
      createSearchSpaceMutator({
        file: "c.json",
        space: { lr: { type: "float", min: 0, max: 1, log: true } },
      }),
    ).toThrow(/log-scale parameter needs `min` > 0/);
    expect(() =>
      createSearchSpaceMutator({ file: "c.json", space: { lr: { type: "float", min: 1, max: 1 } } }),
    ).toThrow(/`space\.lr`: expected `min` to be below `max`/);
    expect(() =>
      createSearchSpaceMutator({ file: "c.toml", space: { a: { type: "int", min: 1, max: 2 } } }),
    ).toThrow(/Invalid `format`/);
    const error = (() => {
      try {
        createSearchSpaceMutator({ file: "", space: {} });
      } catch (caught) {
        return caught;
      }
    })();
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect((error as ConfigurationError).field).toBe("file");
    expect(() =>
      createSearchSpaceMutator({
        file: "c.json",
        space: { lr: { type: "floaty", min: 1, max: 2 } } as never,
      }),
    ).toThrow(/`space\.lr\.type`/);
  });

  it("throws a configuration error when a parameter is not in the file", async () => {
    await writeFile(join(directory, "config.json"), '{ "lr": 0.1 }\n');
    const mutator = createSearchSpaceMutator({
      file: "config.json",
      space: { learning_rate: { type: "float", min: 0.01, max: 1 } },
    });
    await expect(mutator.propose(proposeOptions(1, []))).rejects.toThrow(
      /`learning_rate` was not found in config\.json/,
    );
    const missing = createSearchSpaceMutator({
      file: "absent.json",
      space: { lr: { type: "float", min: 0.01, max: 1 } },
    });
    await expect(missing.propose(proposeOptions(1, []))).rejects.toThrow(
      /cannot read the search space file absent\.json/,
    );
  });

  it("declines to repair a crash", async () => {
    await writeFile(join(directory, "config.json"), '{ "lr": 0.1 }\n');
    const mutator = createSearchSpaceMutator({
      file: "config.json",
      space: { lr: { type: "float", min: 0.01, max: 1 } },
    });
    const crashed = record(1, { type: "edit", description: "lr" }, "crash");
    const proposal = await mutator.propose(
      proposeOptions(2, [crashed], { repair: { trial: crashed, logTail: "", attempt: 1 } }),
    );
    expect(proposal.type).toBe("failed");
    expect(await readFile(join(directory, "config.json"), "utf8")).toBe('{ "lr": 0.1 }\n');
  });
});
