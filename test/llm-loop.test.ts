import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createCommandRunner, createMetricObjective, isTrialCount, runResearch } from "../src/index.js";
import { createLlmMutator } from "../src/mutators/llm-mutator.js";
import {
  type FakeOpenAIServer,
  raiseParameterScript,
  startFakeOpenAIServer,
} from "./fixtures/llm/fake-openai-server.js";

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

describe("the research loop with the LLM proposer over HTTP", () => {
  it("runs three trials, each a proposal made through a fake OpenAI-compatible server, and records its tokens", async () => {
    const summary = await runResearch({
      directory,
      tag: "llm",
      objective: createMetricObjective({ metric: "score", direction: "maximize" }),
      mutator: createLlmMutator({
        model: { baseURL: server.baseURL, model: "fake-coder", name: "local" },
        instructions: "Raise the score by changing params.json.",
        retry: { maxRetries: 0 },
        prices: { "local:fake-coder": { inputPerMTok: 1, outputPerMTok: 2, cachedInputPerMTok: 0.5 } },
      }),
      runner: createCommandRunner({ command: "node run.js", timeoutMs: 30_000 }),
      scope: { editable: ["params.json"], protected: ["run.js"] },
      // The baseline and three proposals.
      stopWhen: [isTrialCount(4)],
    });
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
});
