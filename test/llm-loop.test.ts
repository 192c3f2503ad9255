import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModelV4GenerateResult } from "@ai-sdk/provider";
import { MockLanguageModelV3, MockLanguageModelV4 } from "ai/test";
import { execa } from "execa";
import { createOpenAICompatible as createOpenAICompatibleV3 } from "openai-compatible-v3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors/autoresearch-error.js";
import { createCommandRunner, createMetricObjective, isTrialCount, runResearch } from "../src/index.js";
import { createLlmMutator, type LlmMutatorOptions } from "../src/mutators/llm-mutator.js";
import {
  type FakeOpenAIServer,
  raiseParameterScript,
  startFakeOpenAIServer,
} from "./fixtures/llm/fake-openai-server.js";
import { call, usage } from "./fixtures/llm/scripted.js";

let directory: string;
let server: FakeOpenAIServer;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "llm-loop-"));
  await writeFile(join(directory, "params.json"), '{ "x": 1 }\n');
  await writeFile(
    join(directory, "run.js"),
    'const { x } = JSON.parse(require("node:fs").readFileSync("params.json", "utf8"));\nconsole.log("score: " + x * 10);\n',
  );
  await writeFile(join(directory, "package.json"), '{ "type": "commonjs" }\n');
  await writeFile(join(directory, ".gitignore"), ".autoresearch/\n");
  const git = (...args: string[]) =>
    execa(
      "git",
      [
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.invalid",
        "-c",
        "commit.gpgsign=false",
        ...args,
      ],
      {
        cwd: directory,
      },
    );
  await git("init", "-q", "-b", "main");
  await git("add", ".");
  await git("commit", "-q", "-m", "initial");
  server = await startFakeOpenAIServer(raiseParameterScript);
});

afterEach(async () => {
  await server.close();
  await rm(directory, { recursive: true, force: true });
});

/** The research every model below drives: a baseline and three proposals, each raising `x` in params.json. */
function research(model: LlmMutatorOptions["model"], prices?: LlmMutatorOptions["prices"]) {
  return runResearch({
    directory,
    tag: "llm",
    objective: createMetricObjective({ metric: "score", direction: "maximize" }),
    mutator: createLlmMutator({
      model,
      instructions: "Raise the score by changing params.json.",
      retry: { maxRetries: 0 },
      ...(prices === undefined ? {} : { prices }),
    }),
    runner: createCommandRunner({ command: "node run.js", timeoutMs: 30_000 }),
    scope: { editable: ["params.json"], protected: ["run.js"] },
    // The baseline and three proposals.
    stopWhen: [isTrialCount(4)],
  });
}

describe("the research loop with the LLM proposer over HTTP", () => {
  it("runs three trials, each a proposal made through a fake OpenAI-compatible server, and records its tokens", async () => {
    const summary = await research(
      { baseURL: server.baseURL, model: "fake-coder", name: "local" },
      { "local:fake-coder": { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5 } },
    );
    const proposals = summary.records.filter((record) => record.kind === "proposal");
    expect(proposals).toHaveLength(3);
    proposals.forEach((record, index) => {
      expect(record.status).toBe("keep");
      expect(record.description).toBe(`raise x to ${index + 2}`);
      expect(record.metric).toBe((index + 2) * 10);
      expect(record.changedFiles).toEqual(["params.json"]);
      expect(record.proposer.usage).toEqual({ inputTokens: 500, outputTokens: 80, cachedInputTokens: 200 });
      // 300 uncached at $1/M, 200 cached at $0.5/M, 80 output at $2/M.
      expect(record.proposer.costUsd).toBeCloseTo(560 / 1_000_000, 12);
      expect(record.proposer.metadata).toMatchObject({ model: "local:fake-coder", steps: 3 });
    });
    expect(summary.best?.metric).toBe(40);
    // The ledger on disk says the same.
    const ledger = (await readFile(join(directory, ".autoresearch/llm/ledger.jsonl"), "utf8"))
      .trim()
      .split("\n");
    expect(ledger.map((line) => JSON.parse(line).proposer.usage?.inputTokens ?? null)).toEqual([
      null,
      500,
      500,
      500,
    ]);
  });

  // A user's own model object, made with the provider package of their choice: today's (specification v4,
  // AI SDK 7) and the previous line's (specification v3, AI SDK 6), both over real HTTP.
  it.each([
    ["v4", () => createOpenAICompatible({ name: "mine", baseURL: server.baseURL }).chatModel("fake-coder")],
    ["v3", () => createOpenAICompatibleV3({ name: "mine", baseURL: server.baseURL }).chatModel("fake-coder")],
  ] as const)("drives a user's own %s model object through the loop", async (version, build) => {
    const model = build();
    expect(model.specificationVersion).toBe(version);
    const summary = await research(model);
    const proposals = summary.records.filter((record) => record.kind === "proposal");
    expect(proposals.map((record) => [record.status, record.metric])).toEqual([
      ["keep", 20],
      ["keep", 30],
      ["keep", 40],
    ]);
    expect(proposals[0]?.proposer.metadata).toMatchObject({ model: "mine.chat:fake-coder" });
    // Three requests per proposal reached the server: read, edit, finish.
    expect(server.requests).toHaveLength(9);
  });
});

describe("the research loop with the AI SDK's mock models", () => {
  /** A scripted proposal: raise x by one (every proposal starts from the last keep), then finish. */
  function scripted() {
    let step = 0;
    let trial = 1;
    return async () => {
      step++;
      if (step % 2 === 1) {
        trial++;
        return call("edit_file", {
          path: "params.json",
          search: `"x": ${trial - 1}`,
          replace: `"x": ${trial}`,
        });
      }
      return {
        ...call("finish", { description: `set x to ${trial}`, rationale: "higher is better" }),
        usage: usage(120, 30),
      };
    };
  }

  it.each([
    [
      "v4",
      () => {
        // The scripted results are written in V3 types; text and tool-call parts are the same in V4.
        const next = scripted() as unknown as () => Promise<LanguageModelV4GenerateResult>;
        return new MockLanguageModelV4({ provider: "mock", modelId: "m4", doGenerate: next });
      },
    ],
    ["v3", () => new MockLanguageModelV3({ provider: "mock", modelId: "m3", doGenerate: scripted() })],
  ] as const)("runs a %s mock model through the loop", async (version, build) => {
    const model = build();
    const summary = await research(model);
    const proposals = summary.records.filter((record) => record.kind === "proposal");
    expect(proposals.map((record) => [record.status, record.description, record.metric])).toEqual([
      ["keep", "set x to 2", 20],
      ["keep", "set x to 3", 30],
      ["keep", "set x to 4", 40],
    ]);
    expect(proposals[2]?.proposer.usage).toEqual({ inputTokens: 220, outputTokens: 50 });
    // Two model calls per proposal, each seen by the mock.
    expect(model.doGenerateCalls).toHaveLength(6);
    expect(model.specificationVersion).toBe(version);
  });

  it("refuses a model of an unsupported specification when the proposer is made, naming the versions", () => {
    const legacy = {
      specificationVersion: "v2",
      provider: "old",
      modelId: "m",
      doGenerate() {},
      doStream() {},
    };
    const attempt = () => createLlmMutator({ model: legacy as never, instructions: "x" });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(
      /specification "v4" or "v3".*got one of specification `v2`.*upgrade the provider/,
    );
  });
});
