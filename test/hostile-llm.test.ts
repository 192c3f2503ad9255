import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCommandRunner, createMetricObjective, isTrialCount, runResearch } from "../src/index.js";
import { createLlmMutator } from "../src/mutators/llm-mutator.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { type ScriptedReply, startFakeOpenAIServer } from "./fixtures/llm/fake-openai-server.js";
import { filesContaining, isHarnessGitPath, scratchDirectory, treeFingerprint } from "./helpers/hostile.js";
import { gitSync } from "./helpers/repository.js";

const support = await detectBubblewrap();
const sandboxed = describe.skipIf(!support.available && !process.env.CI);

const random = randomBytes(6).toString("hex");
const sentinels = {
  AWS_SECRET_ACCESS_KEY: `sentinel-aws-${random}`,
  GH_PAT: `sentinel-ghpat-${random}`,
  AZURE_OPENAI_KEY: `sentinel-azure-${random}`,
  HF_TOKEN: `sentinel-hf-${random}`,
};
const saved: Record<string, string | undefined> = {};
const roots: string[] = [];

beforeAll(() => {
  for (const [name, value] of Object.entries(sentinels)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

// The model tries every path onto a .git it can think of, committed links included, then makes the experiment
// print everything it can see and crash, so that its log goes back to the model in the repair prompt.
const leak =
  'console.log(JSON.stringify(process.env)); for (const p of require("node:fs").readdirSync("/proc")) { try { console.log(require("node:fs").readFileSync("/proc/" + p + "/environ", "utf8")); } catch {} } process.exit(1);';
const script: ScriptedReply[] = [
  {
    toolCalls: [
      {
        name: "edit_file",
        arguments: { path: "alias/.git", search: "gitdir", replace: "gitdir: /tmp/evil #" },
      },
      { name: "edit_file", arguments: { path: "gitlink", search: "gitdir", replace: "evil" } },
      { name: "write_file", arguments: { path: "alias/alias/.git/hooks/post-checkout", content: "evil" } },
      { name: "write_file", arguments: { path: "nested/.git/config", content: "[core]\n" } },
      { name: "write_file", arguments: { path: "Sub/.GiT", content: "gitdir: /tmp/evil\n" } },
      { name: "read_file", arguments: { path: "gitlink" } },
      { name: "search_text", arguments: { query: "(x+x+)+y", regex: true } },
      { name: "edit_file", arguments: { path: "train.js", search: "globalThis.score = 10;", replace: leak } },
    ],
  },
  { toolCalls: [{ name: "finish", arguments: { description: "print everything", rationale: "look" } }] },
  {
    toolCalls: [
      { name: "edit_file", arguments: { path: "train.js", search: leak, replace: "globalThis.score = 9;" } },
    ],
  },
  { toolCalls: [{ name: "finish", arguments: { description: "back to work", rationale: "the crash" } }] },
];

sandboxed("hostile LLM tool calls and a leaking experiment", () => {
  it("refuses every path onto a .git, keeps the repository whole, and sends the model no secret", {
    timeout: 60_000,
  }, async () => {
    const directory = scratchDirectory("autoresearch-llm-hostile-");
    roots.push(directory);
    mkdirSync(join(directory, "data"));
    writeFileSync(
      join(directory, "run.js"),
      'require("./train.js");\nconsole.log("score: " + globalThis.score);\n',
    );
    writeFileSync(join(directory, "train.js"), "globalThis.score = 10;\n");
    symlinkSync(".", join(directory, "alias"));
    symlinkSync(".git", join(directory, "gitlink"));
    gitSync(directory, "init", "-q", "-b", "main");
    gitSync(directory, "add", "-A");
    gitSync(directory, "commit", "-q", "-m", "the experiment");
    const gitBefore = treeFingerprint(
      directory,
      (path) => path.startsWith(".autoresearch") || !path.startsWith(".git") || isHarnessGitPath(path),
    );
    const server = await startFakeOpenAIServer((_request, index) => script[index] ?? { text: "done" });
    let summary: Awaited<ReturnType<typeof runResearch>>;
    try {
      summary = await runResearch({
        directory,
        tag: "llm",
        mutator: createLlmMutator({
          model: { baseURL: `${server.baseURL}`, model: "fake", apiKey: `llm-key-${random}` },
          instructions: "Lower the score.",
          retry: { maxRetries: 0 },
        }),
        runner: createCommandRunner({ command: ["node", "run.js"], timeoutMs: 20_000 }),
        objective: createMetricObjective({ metric: "score", direction: "minimize" }),
        scope: { editable: ["train.js", "nested/**", "Sub/**", "alias/**"], protected: ["run.js"] },
        stopWhen: isTrialCount(3),
        repairAttempts: 1,
        sandbox: { mode: "required", env: ["HF_TOKEN"] },
      });
    } finally {
      await server.close();
    }
    expect(summary.records.map((record) => [record.kind, record.status])).toEqual([
      ["baseline", "keep"],
      ["proposal", "crash"],
      ["repair", "keep"],
    ]);
    expect(summary.records[1]?.changedFiles).toEqual(["train.js"]);
    const toolResults = server.requests[1]?.body.messages.filter((message) => message.role === "tool") ?? [];
    expect(toolResults.map((message) => message.content)).toEqual([
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining(".git directory is off limits"),
      expect.stringContaining("No matches"),
      expect.stringContaining("Edited `train.js`"),
    ]);
    // The repair prompt carried the crashed run's log, which printed the experiment's HF_TOKEN: redacted.
    const repairPrompt = JSON.stringify(server.requests[2]?.body.messages);
    expect(repairPrompt).toContain("[redacted]");
    expect(
      server.requests.filter((request) =>
        Object.values(sentinels).some((value) => request.raw.includes(value)),
      ),
    ).toEqual([]);
    expect(filesContaining([directory], Object.values(sentinels))).toEqual([]);
    expect(
      treeFingerprint(
        directory,
        (path) => path.startsWith(".autoresearch") || !path.startsWith(".git") || isHarnessGitPath(path),
      ),
    ).toBe(gitBefore);
    expect(gitSync(directory, "ls-tree", "-r", "--name-only", "autoresearch/llm")).toBe(
      ["alias", "gitlink", "run.js", "train.js"].join("\n"),
    );
  });
});
