import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MockLanguageModelV3 } from "ai/test";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  call,
  proposeOptions,
  record,
  text,
  toolCalls,
  toolResultsSent,
  usage,
} from "../../test/fixtures/llm/scripted.js";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { createLlmMutator } from "./llm-mutator.js";

const noDelay = { maxRetries: 2, initialDelayMs: 0, maxDelayMs: 0 };

let root: string;
let work: string;
let outside: string;
const sentinel = "SENTINEL: nothing may read or write me\n";

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "llm-mutator-"));
  work = join(root, "work");
  outside = join(root, "outside");
  await mkdir(join(work, "src"), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, "secret.txt"), sentinel);
  await writeFile(join(work, "params.json"), '{\n  "lr": 0.01,\n  "depth": 4\n}\n');
  await writeFile(join(work, "run.js"), "console.log('score: 1')\n");
  await writeFile(join(work, "src", "model.js"), "const a = 1;\nconst b = 2;\nconst a = 1;\n");
  await writeFile(join(work, "src", "secret.js"), "export const key = 1;\n");
  await symlink(join(outside, "secret.txt"), join(work, "src", "link-file.txt"));
  await symlink(outside, join(work, "src", "link-dir"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function outsideUntouched() {
  expect(await readFile(join(outside, "secret.txt"), "utf8")).toBe(sentinel);
  expect(await readdir(outside)).toEqual(["secret.txt"]);
}

describe("createLlmMutator", () => {
  it("makes an edit through the tools and reports description, tokens, cost and metadata", async () => {
    const model = new MockLanguageModelV3({
      provider: "mock",
      modelId: "model-x",
      doGenerate: [
        call("list_files", {}),
        call("read_file", { path: "params.json" }),
        call("edit_file", { path: "params.json", search: '"lr": 0.01', replace: '"lr": 0.02' }),
        {
          ...call("finish", { description: "double the learning rate", rationale: "it was too low" }),
          usage: usage(100, 20, 60),
        },
      ],
    });
    const mutator = createLlmMutator({
      model,
      instructions: "Maximize the score.",
      prices: {
        "mock:model-x": { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000, cachedInputPerMTok: 0 },
      },
    });
    const proposal = await mutator.propose(proposeOptions(work));
    expect(proposal).toMatchObject({
      type: "edit",
      description: "double the learning rate",
      rationale: "it was too low",
      usage: { inputTokens: 400, outputTokens: 80, cachedInputTokens: 60 },
      metadata: { model: "mock:model-x", steps: 4, changedFiles: ["params.json"], costEstimated: false },
    });
    // (400 - 60) input at $1 each, 60 cached at $0, 80 output at $2 each.
    expect(proposal.type === "edit" && proposal.costUsd).toBe(340 + 160);
    expect(await readFile(join(work, "params.json"), "utf8")).toContain('"lr": 0.02');
    const results = toolResultsSent(model.doGenerateCalls);
    expect(results[0]).toContain("params.json");
    expect(results[0]).toContain("[editable]");
    expect(results[0]).toContain("run.js");
    expect(results[0]).toContain("[protected]");
    expect(results[1]).toContain('\\"depth\\": 4');
    const firstPrompt = JSON.stringify(model.doGenerateCalls[0]?.prompt);
    expect(firstPrompt).toContain("Maximize the score.");
    expect(firstPrompt).toContain("`score` (higher is better)");
  });

  it("refuses path traversal, absolute paths, symlinks leading outside and protected files, touching nothing outside", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [
        toolCalls(
          { name: "read_file", input: { path: "../../etc/passwd" } },
          { name: "read_file", input: { path: "../outside/secret.txt" } },
          { name: "read_file", input: { path: "/etc/passwd" } },
          { name: "read_file", input: { path: join(outside, "secret.txt") } },
          { name: "read_file", input: { path: "src/link-file.txt" } },
          { name: "read_file", input: { path: "src/link-dir/secret.txt" } },
          { name: "search_text", input: { query: "SENTINEL", path: "src/link-dir" } },
        ),
        toolCalls(
          { name: "edit_file", input: { path: "src/link-file.txt", search: "SENTINEL", replace: "PWNED" } },
          {
            name: "edit_file",
            input: { path: "src/link-dir/secret.txt", search: "SENTINEL", replace: "PWNED" },
          },
          { name: "write_file", input: { path: "src/link-dir/new.txt", content: "x" } },
          { name: "write_file", input: { path: "../outside/new.txt", content: "x" } },
          { name: "edit_file", input: { path: "run.js", search: "score: 1", replace: "score: 9" } },
          { name: "edit_file", input: { path: "src/secret.js", search: "1", replace: "2" } },
          { name: "write_file", input: { path: "notes.txt", content: "x" } },
          { name: "write_file", input: { path: ".git/hooks/post-checkout", content: "x" } },
        ),
        call("finish", { description: "nothing", rationale: "none" }),
        text("I give up."),
        text("Still nothing."),
        text("Done."),
      ],
    });
    const proposal = await createLlmMutator({ model, instructions: "x", retry: noDelay }).propose(
      proposeOptions(work),
    );
    expect(proposal).toMatchObject({ type: "failed", error: expect.stringContaining("did not call finish") });
    const results = toolResultsSent(model.doGenerateCalls);
    expect(results).toHaveLength(16);
    expect(results.slice(0, 2).every((result) => result.includes("outside the project directory"))).toBe(
      true,
    );
    expect(results.slice(2, 4).every((result) => result.includes("absolute paths are not allowed"))).toBe(
      true,
    );
    expect(results.slice(4, 7).every((result) => result.includes("symbolic link"))).toBe(true);
    expect(results.slice(7, 11).every((result) => result.includes("Refused"))).toBe(true);
    expect(results[11]).toContain("protected file");
    expect(results[12]).toContain("protected file");
    expect(results[13]).toContain("outside the editable scope");
    expect(results[14]).toContain(".git directory is off limits");
    expect(results[15]).toContain("No file has been changed yet");
    expect(results.join("\n")).not.toContain("SENTINEL");
    await outsideUntouched();
    expect(await readFile(join(work, "run.js"), "utf8")).toBe("console.log('score: 1')\n");
    expect(await readdir(work)).toEqual(["params.json", "run.js", "src"]);
  });

  it("explains a search text that matches twice or not at all, with the nearest match", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [
        call("edit_file", { path: "src/model.js", search: "const a = 1;", replace: "const a = 3;" }),
        call("edit_file", { path: "src/model.js", search: "const b =  2 ;", replace: "const b = 3;" }),
        call("edit_file", { path: "src/missing.js", search: "x", replace: "y" }),
        call("edit_file", { path: "src/model.js", search: "const b = 2;", replace: "const b = 3;" }),
        call("finish", { description: "set b to 3", rationale: "why not" }),
      ],
    });
    const proposal = await createLlmMutator({ model, instructions: "x" }).propose(proposeOptions(work));
    expect(proposal).toMatchObject({ type: "edit", description: "set b to 3" });
    const results = toolResultsSent(model.doGenerateCalls);
    expect(results[0]).toContain("occurs 2 times");
    expect(results[0]).toContain("lines 1, 3");
    expect(results[1]).toContain("not found");
    expect(results[1]).toContain("closest text is at lines 2-2");
    expect(results[1]).toContain("const b = 2;");
    expect(results[2]).toContain("does not exist");
    expect(await readFile(join(work, "src", "model.js"), "utf8")).toBe(
      "const a = 1;\nconst b = 3;\nconst a = 1;\n",
    );
  });

  it("answers malformed tool arguments with an error and goes on", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [
        toolCalls(
          { name: "read_file", input: "{not json" },
          { name: "edit_file", input: { path: 42, search: ["x"] } },
          { name: "delete_everything", input: {} },
        ),
        call("write_file", { path: "src/new.js", content: "export const c = 3;\n" }),
        call("finish", { description: "add a module", rationale: "test" }),
      ],
    });
    const proposal = await createLlmMutator({ model, instructions: "x" }).propose(proposeOptions(work));
    expect(proposal).toMatchObject({ type: "edit", description: "add a module" });
    const results = toolResultsSent(model.doGenerateCalls);
    expect(results.slice(0, 3).every((result) => /error/i.test(result))).toBe(true);
    expect(results[2]).toContain("delete_everything");
    expect(await readFile(join(work, "src", "new.js"), "utf8")).toBe("export const c = 3;\n");
  });

  it("records a failed proposal when the model never calls finish, reminding it first", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: async () => text("I think we should raise the learning rate."),
    });
    const proposal = await createLlmMutator({ model, instructions: "x", maxReminders: 2 }).propose(
      proposeOptions(work),
    );
    expect(proposal).toMatchObject({
      type: "failed",
      error: "The model did not call finish within 2 reminders.",
      usage: { inputTokens: 150, outputTokens: 30 },
    });
    expect(model.doGenerateCalls).toHaveLength(3);
    expect(JSON.stringify(model.doGenerateCalls[1]?.prompt)).toContain("You have not called `finish`");
  });

  it("stops at the step limit and at the token limit", async () => {
    const looping = new MockLanguageModelV3({ doGenerate: async () => call("list_files", {}) });
    const steps = await createLlmMutator({ model: looping, instructions: "x", maxSteps: 5 }).propose(
      proposeOptions(work),
    );
    expect(steps).toMatchObject({ type: "failed", error: expect.stringContaining("step limit (5)") });
    expect(looping.doGenerateCalls).toHaveLength(5);

    const hungry = new MockLanguageModelV3({ doGenerate: async () => call("list_files", {}) });
    const tokens = await createLlmMutator({ model: hungry, instructions: "x", maxTotalTokens: 250 }).propose(
      proposeOptions(work),
    );
    expect(tokens).toMatchObject({ type: "failed", error: expect.stringContaining("token limit (250)") });
    expect(hungry.doGenerateCalls).toHaveLength(3);
  });

  it("retries a failing provider with backoff, then records a failed proposal without the key", async () => {
    const key = "sk-sentinel-0123456789abcdef";
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new Error(
          `503 upstream: request had headers {"authorization":"Bearer ${key}"} and api_key=${key}`,
        );
      },
    });
    const mutator = createLlmMutator({ model, instructions: "x", apiKey: key, retry: noDelay });
    const proposal = await mutator.propose(proposeOptions(work));
    expect(model.doGenerateCalls).toHaveLength(3);
    expect(proposal.type).toBe("failed");
    expect(proposal.type === "failed" && proposal.error).toContain("503 upstream");
    expect(JSON.stringify(proposal)).not.toContain(key);
    expect(JSON.stringify(proposal)).not.toContain("sentinel-0123");
  });

  it("does not retry an error the provider marks as permanent", async () => {
    const { APICallError } = await import("@ai-sdk/provider");
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        throw new APICallError({
          message: "Unauthorized",
          url: "http://127.0.0.1/v1/chat/completions",
          requestBodyValues: {},
          statusCode: 401,
          isRetryable: false,
        });
      },
    });
    const proposal = await createLlmMutator({ model, instructions: "x", retry: noDelay }).propose(
      proposeOptions(work),
    );
    expect(model.doGenerateCalls).toHaveLength(1);
    expect(proposal).toMatchObject({
      type: "failed",
      error: expect.stringContaining("HTTP 401: Unauthorized"),
    });
  });

  it("rejects with the abort reason when aborted during a proposal", async () => {
    const controller = new AbortController();
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        controller.abort(new Error("stop now"));
        throw new Error("aborted");
      },
    });
    const mutator = createLlmMutator({ model, instructions: "x", retry: noDelay });
    await expect(mutator.propose(proposeOptions(work, { abortSignal: controller.signal }))).rejects.toThrow(
      "stop now",
    );
    expect(model.doGenerateCalls).toHaveLength(1);
  });

  it("ends a proposal at once when aborted during a catastrophic regular-expression search", async () => {
    await writeFile(join(work, "src", "long.txt"), `${"a".repeat(48)}!\n`);
    const controller = new AbortController();
    let abortedAt = 0;
    const model = new MockLanguageModelV3({
      doGenerate: async () => {
        // The search starts once this answer is back; it would backtrack for hours, its time limit is 5 s.
        setTimeout(() => {
          abortedAt = performance.now();
          controller.abort(new Error("stopped while searching"));
        }, 200);
        return call("search_text", { query: "^(a+)+$", regex: true });
      },
    });
    const mutator = createLlmMutator({ model, instructions: "x", retry: noDelay });
    await expect(mutator.propose(proposeOptions(work, { abortSignal: controller.signal }))).rejects.toThrow(
      "stopped while searching",
    );
    const afterAbortMs = performance.now() - abortedAt;
    expect(model.doGenerateCalls).toHaveLength(1);
    // Generous against a busy machine; without the abort reaching the search it takes the full 5 s.
    expect(afterAbortMs).toBeLessThan(2000);
  });

  it("asks to repair a crash from the log tail", async () => {
    const model = new MockLanguageModelV3({
      doGenerate: [
        call("edit_file", { path: "params.json", search: '"depth": 4', replace: '"depth": 3' }),
        call("finish", {
          description: "fix: lower depth to fit memory",
          rationale: "the run ran out of memory",
        }),
      ],
    });
    const crashed = record({ id: 3, status: "crash", metric: null, description: "depth 64" });
    const proposal = await createLlmMutator({ model, instructions: "x" }).propose(
      proposeOptions(work, {
        trial: 4,
        repair: { trial: crashed, logTail: "Traceback…\nRuntimeError: CUDA out of memory", attempt: 1 },
        readDiff: async () => '-  "depth": 4\n+  "depth": 64',
      }),
    );
    expect(proposal).toMatchObject({ type: "edit", description: "fix: lower depth to fit memory" });
    const prompt = JSON.stringify(model.doGenerateCalls[0]?.prompt);
    expect(prompt).toContain("CUDA out of memory");
    expect(prompt).toContain("Repair the failed trial");
    expect(prompt).toContain('+  \\"depth\\": 64');
  });

  it("reads the instructions from a file in the researched directory", async () => {
    await writeFile(join(work, "program.md"), "# Program\nTry bold ideas about depth.\n");
    const model = new MockLanguageModelV3({ doGenerate: async () => text("no") });
    await createLlmMutator({ model, instructions: "program.md", maxReminders: 0 }).propose(
      proposeOptions(work),
    );
    expect(JSON.stringify(model.doGenerateCalls[0]?.prompt)).toContain("Try bold ideas about depth.");
    await expect(
      createLlmMutator({ model, instructions: "missing.md" }).propose(proposeOptions(work)),
    ).rejects.toSatisfy((error) => ConfigurationError.isInstance(error) && error.field === "instructions");
  });

  it("validates its options into a ConfigurationError naming the field", () => {
    expect(() => createLlmMutator({ model: 42 as never, instructions: "x" })).toThrow(/`model`/);
    expect(() => createLlmMutator({ model: "openai:gpt-5", instructions: "x", maxSteps: 0 })).toThrow(
      /Invalid `maxSteps`: expected .*, got `0`/,
    );
    expect(() => createLlmMutator({ model: "openai:gpt-5", instructions: "x", maxStep: 3 } as never)).toThrow(
      ConfigurationError,
    );
  });

  it("refuses a model string without a known provider when proposing", async () => {
    const mutator = createLlmMutator({ model: "gpt-5", instructions: "x" });
    await expect(mutator.propose(proposeOptions(work))).rejects.toThrow(/expected "openai:<model>"/);
  });
});
