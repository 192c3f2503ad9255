import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  ConfigurationError,
  createAgentMutator,
  createCommandRunner,
  createLlmMutator,
  createMetricObjective,
  createPatchQueueMutator,
  createSearchSpaceMutator,
  isTrialCount,
  type ResearchEvent,
  readLedgerFile,
  runResearch,
} from "../src/index.js";
import { createRepository } from "./helpers/repository.js";

const objective = createMetricObjective({ metric: "score", direction: "minimize" });
const searchSpace = (space: Record<string, { type: "int"; min: number; max: number }>) =>
  createSearchSpaceMutator({ file: "params.json", space });

async function failure(promise: Promise<unknown>): Promise<ConfigurationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(ConfigurationError.isInstance(error), String(error)).toBe(true);
  return error as ConfigurationError;
}

describe("preflight before the baseline", () => {
  it("reports every problem at once and runs nothing: program, editable globs, search-space parameters", async () => {
    const directory = createRepository({ "params.json": '{ "x": 1 }\n', "run.sh": "echo score: 1\n" });
    const error = await failure(
      runResearch({
        directory,
        tag: "pre",
        objective,
        mutator: searchSpace({ x: { type: "int", min: 0, max: 9 }, y: { type: "int", min: 0, max: 9 } }),
        runner: createCommandRunner({ command: "no-such-program-xyz --fast" }),
        scope: { editable: ["src/**/*.py"] },
        stopWhen: isTrialCount(3),
      }),
    );
    expect(error.message).toContain("Found 3 problems before running anything");
    expect(error.message).toContain(
      "runner (command): The command `no-such-program-xyz --fast` needs `no-such-program-xyz`, which is not on PATH",
    );
    expect(error.message).toContain(
      "scope.editable: no file of the researched directory matches `src/**/*.py`",
    );
    expect(error.message).toContain("Search space parameter `y` was not found in params.json");
    expect(await readLedgerFile(join(directory, ".autoresearch/pre/ledger.jsonl"))).toEqual([]);
    expect(existsSync(join(directory, ".autoresearch/pre/lock"))).toBe(false);
  });

  it("checks the patch queue: patch files are patches and the first one applies", async () => {
    const directory = createRepository({
      "params.txt": "0\n",
      "patches/1.patch":
        "diff --git a/params.txt b/params.txt\n--- a/params.txt\n+++ b/params.txt\n@@ -1 +1 @@\n-5\n+6\n",
      "patches/2.diff": "not a diff at all\n",
    });
    const error = await failure(
      runResearch({
        directory,
        tag: "patches",
        objective,
        mutator: createPatchQueueMutator({ patches: join(directory, "patches") }),
        runner: createCommandRunner({ command: ["node", "-e", "console.log('score: 1')"] }),
        scope: { editable: ["params.txt"] },
      }),
    );
    expect(error.message).toContain("mutator (patch-queue): 2.diff is not a unified diff");
    writeFileSync(join(directory, "patches/2.diff"), "");
    const next = await failure(
      runResearch({
        directory,
        tag: "patches",
        objective,
        mutator: createPatchQueueMutator({ patches: [join(directory, "patches/1.patch")] }),
        runner: createCommandRunner({ command: ["node", "-e", "console.log('score: 1')"] }),
        scope: { editable: ["params.txt"] },
      }),
    );
    expect(next.message).toContain("the first patch, 1.patch, does not apply to the code");
  });

  it("checks the proposers' keys, URLs and programs without calling them", async () => {
    const directory = createRepository({ "params.json": '{ "x": 1 }\n', "program.md": "Lower the score.\n" });
    const base = {
      directory,
      tag: "proposers",
      objective,
      runner: createCommandRunner({ command: "node -e 'console.log(1)'" }),
      scope: { editable: ["params.json"] },
    };
    const compatible = await failure(
      runResearch({
        ...base,
        mutator: createLlmMutator({ model: "openai-compatible:local", instructions: "program.md" }),
      }),
    );
    expect(compatible.message).toContain('"openai-compatible:local" needs the server\'s URL');
    const endpoint = await failure(
      runResearch({
        ...base,
        mutator: createLlmMutator({
          model: { baseURL: "http://127.0.0.1:9/v1", model: "m", apiKeyEnv: "AUTORESEARCH_TEST_UNSET_KEY" },
          instructions: "missing.md",
        }),
      }),
    );
    expect(endpoint.message).toContain("AUTORESEARCH_TEST_UNSET_KEY (the model's `apiKeyEnv`) is not set");
    expect(endpoint.message).toContain("Invalid `instructions`: expected a readable file, got `missing.md`");
    const agent = await failure(
      runResearch({
        ...base,
        mutator: createAgentMutator({
          command: ["no-such-agent-xyz", "{prompt}"],
          instructions: "program.md",
        }),
      }),
    );
    expect(agent.message).toContain("The agent `no-such-agent-xyz` was not found on PATH");
  });

  it("warns about globs that match nothing, and runs reach untracked files through AUTORESEARCH_DIRECTORY", async () => {
    const directory = createRepository({ "params.json": '{ "x": 3 }\n', ".gitignore": "tools/\n" });
    mkdirSync(join(directory, "tools"));
    writeFileSync(join(directory, "tools/score.sh"), "#!/bin/sh\necho score: 7\n", { mode: 0o755 });
    // Written relative, the tool is looked for in the trial worktree, which has only tracked files.
    const relative = await failure(
      runResearch({
        directory,
        tag: "untracked",
        objective,
        mutator: searchSpace({ x: { type: "int", min: 0, max: 9 } }),
        runner: createCommandRunner({ command: "tools/score.sh" }),
        scope: { editable: ["params.json"] },
      }),
    );
    expect(relative.message).toContain('write it as "$AUTORESEARCH_DIRECTORY/tools/score.sh"');

    const events: ResearchEvent[] = [];
    const summary = await runResearch({
      directory,
      tag: "untracked",
      objective,
      mutator: searchSpace({ x: { type: "int", min: 0, max: 9 } }),
      runner: createCommandRunner({ command: '"$AUTORESEARCH_DIRECTORY/tools/score.sh"' }),
      scope: { editable: ["params.json", "*.yaml"], protected: ["eval.py"] },
      stopWhen: isTrialCount(1),
      onEvent: (event) => events.push(event),
    });
    expect(
      summary.records.map((record) => [record.status, record.metric]),
      summary.records[0]?.reason,
    ).toEqual([["keep", 7]]);
    const start = events.find((event) => event.type === "research-start");
    expect(start?.type === "research-start" && start.warnings).toEqual([
      "scope.editable: `*.yaml` matches no file yet (only new files could match it)",
      "scope.protected: `eval.py` matches no file, so it protects nothing",
    ]);
  });
});
