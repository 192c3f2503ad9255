import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLlmMutator } from "../src/mutators/llm-mutator.js";
import type { Proposal } from "../src/spec/mutator.js";
import type { TrialRecord } from "../src/spec/records.js";
import {
  type FakeOpenAIServer,
  raiseParameterScript,
  startFakeOpenAIServer,
  toolMessages,
} from "./fixtures/llm/fake-openai-server.js";
import { proposeOptions, record } from "./fixtures/llm/scripted.js";

const sentinelKey = "sk-sentinel-KEY-7f3a9c1e5b";

let directory: string;
let server: FakeOpenAIServer | undefined;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "llm-http-"));
  await writeFile(join(directory, "params.json"), '{ "x": 1 }\n');
  await writeFile(
    join(directory, "run.js"),
    'const { x } = JSON.parse(require("node:fs").readFileSync("params.json", "utf8"));\nconsole.log("score: " + x * 10);\n',
  );
  await writeFile(join(directory, "package.json"), '{ "type": "commonjs" }\n');
});

afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(directory, { recursive: true, force: true });
});

const scope = { editable: ["params.json"], protected: ["run.js"] };

describe("the LLM proposer over HTTP with @ai-sdk/openai-compatible", () => {
  it("runs three proposals against a fake OpenAI-compatible server, each improving the score", async () => {
    server = await startFakeOpenAIServer(raiseParameterScript);
    const mutator = createLlmMutator({
      model: { baseURL: server.baseURL, model: "fake-coder", apiKey: sentinelKey, name: "local" },
      instructions: "Raise the score.",
      retry: { maxRetries: 0 },
    });
    const history: TrialRecord[] = [record({ id: 0, metric: 10 })];
    const proposals: Proposal[] = [];
    for (let trial = 1; trial <= 3; trial++) {
      const proposal = await mutator.propose(
        proposeOptions(directory, { trial, scope, history: [...history], incumbent: history.at(-1) }),
      );
      proposals.push(proposal);
      const run = await execa("node", ["run.js"], { cwd: directory });
      const score = Number(/score: (\d+)/.exec(run.stdout)?.[1]);
      history.push(
        record({
          id: trial,
          status: "keep",
          metric: score,
          description: proposal.type === "edit" ? proposal.description : "",
          ...(proposal.type === "edit" && proposal.usage
            ? { proposer: { name: mutator.name, usage: proposal.usage } }
            : {}),
        }),
      );
    }
    expect(proposals.map((proposal) => proposal.type === "edit" && proposal.description)).toEqual([
      "raise x to 2",
      "raise x to 3",
      "raise x to 4",
    ]);
    expect(history.map((trial) => trial.metric)).toEqual([10, 20, 30, 40]);
    for (const proposal of proposals) {
      expect(proposal).toMatchObject({
        usage: { inputTokens: 500, outputTokens: 80, cachedInputTokens: 200 },
        metadata: { model: "local:fake-coder", steps: 3 },
      });
    }
    expect(server.requests).toHaveLength(9);
    const first = server.requests[0];
    expect(first?.path).toBe("/v1/chat/completions");
    expect(first?.headers.authorization).toBe(`Bearer ${sentinelKey}`);
    expect(first?.body.tools).toHaveLength(6);
    // The third proposal's prompt lists the two earlier trials, so the model can avoid repeating them.
    const third = JSON.stringify(server.requests[6]?.body.messages);
    expect(third).toContain("#2 keep 30 — raise x to 3");
    expect(third).toContain("#1 keep 20 — raise x to 2");
    expect(toolMessages(server.requests[2] as never)[1]?.content).toContain("Edited `params.json`");
    expect(server.requests.map((request) => request.raw).join("\n")).not.toContain(sentinelKey);
    expect(JSON.stringify(proposals)).not.toContain(sentinelKey);
  });

  it("accepts `openai-compatible:<model>` with a baseURL option", async () => {
    server = await startFakeOpenAIServer(raiseParameterScript);
    const mutator = createLlmMutator({
      model: "openai-compatible:qwen",
      baseURL: server.baseURL,
      instructions: "x",
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({
      type: "edit",
      description: "raise x to 2",
      metadata: { model: "openai-compatible:qwen" },
    });
    expect(server.requests[0]?.body.model).toBe("qwen");
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(await readFile(join(directory, "params.json"), "utf8")).toBe('{ "x": 2 }\n');
  });

  it("retries a failing server and records a failed proposal with the echoed key scrubbed", async () => {
    server = await startFakeOpenAIServer((request) => ({
      status: 503,
      body: { error: { message: `overloaded; you sent authorization: ${request.headers.authorization}` } },
    }));
    const mutator = createLlmMutator({
      model: { baseURL: server.baseURL, model: "m", apiKey: sentinelKey },
      instructions: "x",
      retry: { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(server.requests).toHaveLength(3);
    expect(proposal).toMatchObject({ type: "failed", error: expect.stringContaining("HTTP 503") });
    expect(proposal.type === "failed" && proposal.error).toContain("overloaded");
    expect(JSON.stringify(proposal)).not.toContain(sentinelKey);
    expect(await readFile(join(directory, "params.json"), "utf8")).toBe('{ "x": 1 }\n');
  });

  it("keeps a key from the environment out of errors, prompts and metadata", async () => {
    server = await startFakeOpenAIServer((request) => ({
      status: 401,
      body: { error: { message: `bad key ${request.headers.authorization}`, headers: request.headers } },
    }));
    const previous = process.env.OPENAI_API_KEY;
    process.env.OPENAI_API_KEY = sentinelKey;
    try {
      // The Responses API of @ai-sdk/openai, pointed at the fake server: it sends the key from the environment.
      const mutator = createLlmMutator({ model: "openai:gpt-5", baseURL: server.baseURL, instructions: "x" });
      const proposal = await mutator.propose(proposeOptions(directory, { scope }));
      expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${sentinelKey}`);
      expect(server.requests[0]?.path).toBe("/v1/responses");
      expect(proposal).toMatchObject({ type: "failed", error: expect.stringContaining("HTTP 401") });
      expect(JSON.stringify(proposal)).not.toContain(sentinelKey);
      expect(JSON.stringify(proposal)).not.toContain("7f3a9c1e5b");
      expect(server.requests[0]?.raw).not.toContain(sentinelKey);
    } finally {
      if (previous === undefined) delete process.env.OPENAI_API_KEY;
      else process.env.OPENAI_API_KEY = previous;
    }
  });
});
