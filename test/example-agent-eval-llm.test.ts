import { cpSync, existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createPromptfooObjective, createPromptfooRunner, loadConfig, resolveConfig } from "../src/index.js";
import {
  type ChatRequest,
  type FakeOpenAIServer,
  startFakeOpenAIServer,
} from "./fixtures/llm/fake-openai-server.js";

const example = resolve("examples/agent-eval");
const promptfoo = join(example, "node_modules", ".bin", "promptfoo");
const runnable = existsSync(promptfoo) || process.env.CI !== undefined;

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A model that sends every ticket to billing, and looks up order 48213 with the agent's tool. */
function script(request: ChatRequest) {
  const ticket = request.body.messages.find((message) => message.role === "user")?.content ?? "";
  const tool = request.body.messages.find((message) => message.role === "tool");
  if (tool !== undefined) {
    const { status } = JSON.parse(tool.content ?? "{}") as { status?: string };
    return { text: JSON.stringify({ route: "shipping", reply: `Your order is ${status}.` }) };
  }
  if (ticket.includes("#48213"))
    return { toolCalls: [{ name: "lookup_order", arguments: { orderId: "48213" } }] };
  return { text: `Here you are: ${JSON.stringify({ route: "billing", reply: "Noted." })}` };
}

describe.runIf(runnable)("the agent-eval example with AGENT_EVAL_LLM=1", () => {
  it("runs the agent on a real model API (a fake server here) under the real promptfoo, tools included", async () => {
    server = await startFakeOpenAIServer(script);
    const directory = mkdtempSync(join(tmpdir(), "autoresearch-agent-llm-"));
    cpSync(join(example, "agent"), directory, { recursive: true });
    symlinkSync(join(example, "node_modules"), join(directory, "node_modules"), "dir");
    const runner = createPromptfooRunner({
      command: [promptfoo],
      config: "eval/promptfooconfig.yaml",
      args: ["--filter-metadata", "split=dev"],
      env: {
        AGENT_EVAL_LLM: "1",
        OPENAI_BASE_URL: server.baseURL,
        OPENAI_API_KEY: "sk-test",
        AGENT_EVAL_MODEL: "fake-support-model",
        PROMPTFOO_CONFIG_DIR: join(directory, ".promptfoo-state"),
      },
    });
    const abortSignal = new AbortController().signal;
    const run = await runner.run({
      directory,
      trial: 0,
      logFile: join(directory, "run.log"),
      env: {},
      abortSignal,
    });
    expect(run.exitCode).toBe(100);
    const measurement = await createPromptfooObjective().measure({ run, directory, abortSignal });
    // Billing: 5 "charged", 5 "charge" and the refund ticket; shipping with the status: order 48213.
    expect(measurement.value).toBeCloseTo(12 / 30, 12);
    expect(measurement.cases?.["where is order 48213"]).toEqual([1]);
    expect(measurement.metrics["tokens.total"]).toBeGreaterThan(0);
    const first = server.requests[0]?.body;
    expect(first?.model).toBe("fake-support-model");
    expect(first?.messages[0]?.content).toContain("## Routing rules");
    expect(JSON.stringify(first?.tools)).toContain("lookup_order");

    // The same switch makes the proposer an LLM.
    process.env.AGENT_EVAL_LLM = "1";
    try {
      const loaded = await loadConfig(join(directory, "autoresearch.config.ts"));
      const options = await resolveConfig(loaded.config, loaded.directory);
      expect(options.mutator.name).toBe("llm");
      expect(loaded.config.stop).toMatchObject({ maxTrials: 25 });
    } finally {
      delete process.env.AGENT_EVAL_LLM;
    }
  }, 300_000);
});
