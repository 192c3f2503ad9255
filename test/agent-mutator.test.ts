import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAgentMutator } from "../src/mutators/agent-mutator.js";
import { agentPresets } from "../src/mutators/agent-presets.js";
import { proposeOptions, record } from "./fixtures/llm/scripted.js";

const fakeAgent = fileURLToPath(new URL("./fixtures/agent/fake-agent.mjs", import.meta.url));
const sentinelKey = "sk-agent-sentinel-4d2c8e";

let root: string;
let directory: string;
let bin: string;
let recordFile: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "agent-mutator-"));
  directory = join(root, "work");
  bin = join(root, "bin");
  recordFile = join(root, "record.json");
  await mkdir(directory);
  await mkdir(bin);
  await writeFile(join(directory, "params.json"), '{"x":1}\n');
  await writeFile(join(directory, "run.js"), "console.log('score: 1')\n");
  // The presets' programs, on PATH, are all the fake agent.
  for (const name of ["claude", "codex", "qwen", "aider"]) await symlink(fakeAgent, join(bin, name));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const scope = { editable: ["params.json"], protected: ["run.js"] };

async function recorded(): Promise<{
  args: string[];
  prompt: string;
  cwd: string;
  env: Record<string, string>;
}> {
  return JSON.parse(await readFile(recordFile, "utf8"));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("createAgentMutator with a command template", () => {
  it("runs the agent in the worktree with the prompt on stdin and reads its DESCRIPTION line", async () => {
    const mutator = createAgentMutator({
      command: ["node", fakeAgent],
      instructions: "Raise the score.",
      env: { FAKE_AGENT_RECORD: recordFile },
    });
    const history = [
      record({ id: 0, metric: 10 }),
      record({ id: 1, status: "discard", metric: 5, description: "lower x" }),
    ];
    const proposal = await mutator.propose(proposeOptions(directory, { scope, history, trial: 2 }));
    expect(proposal).toMatchObject({
      type: "edit",
      description: "raise x to 2",
      rationale: "higher x scored better so far",
      metadata: { agent: "node", exitCode: 0 },
    });
    expect(await readFile(join(directory, "params.json"), "utf8")).toBe('{"x":2}\n');
    const { prompt, cwd } = await recorded();
    expect(cwd).toBe(await realpath(directory));
    expect(prompt).toContain("Raise the score.");
    expect(prompt).toContain("#1 discard 5 — lower x");
    expect(prompt).toContain("DESCRIPTION: <one line");
    expect(prompt).toContain("Protected files you must not change: `run.js`");
  });

  it("puts the prompt in place of {prompt} and falls back to the last output line", async () => {
    const mutator = createAgentMutator({
      command: ["node", fakeAgent, "--task", "{prompt}"],
      instructions: { text: "Raise the score." },
      env: { FAKE_AGENT_RECORD: recordFile, FAKE_AGENT_MODE: "terse" },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({ type: "edit", description: "bumped x to 2" });
    expect((await recorded()).prompt).toContain("Raise the score.");
  });

  it("records a failure with the output's tail, the key scrubbed", async () => {
    const mutator = createAgentMutator({
      command: ["node", fakeAgent],
      instructions: "x",
      env: { FAKE_AGENT_MODE: "fail", FAKE_AGENT_KEY: sentinelKey },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({ type: "failed", error: expect.stringContaining("exited with code 3") });
    expect(proposal.type === "failed" && proposal.error).toContain("fatal: upstream rejected key [redacted]");
    expect(JSON.stringify(proposal)).not.toContain(sentinelKey);
  });

  it("kills the agent's whole process group on timeout", async () => {
    const pids = join(root, "pids.json");
    const mutator = createAgentMutator({
      command: ["node", fakeAgent],
      instructions: "x",
      timeoutMs: 2_000,
      killGraceMs: 100,
      env: { FAKE_AGENT_MODE: "hang", FAKE_AGENT_PIDS: pids },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({
      type: "failed",
      error: expect.stringContaining("timed out after 2000 ms"),
    });
    const [agent, grandchild] = JSON.parse(await readFile(pids, "utf8")) as number[];
    // The pipe closed, so both are dead; the grandchild may take a moment to be reaped by init.
    for (let attempt = 0; attempt < 100 && alive(grandchild as number); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(alive(agent as number)).toBe(false);
    expect(alive(grandchild as number)).toBe(false);
  });

  it("rejects with the abort reason and kills the agent when aborted", async () => {
    const pids = join(root, "pids.json");
    const controller = new AbortController();
    const mutator = createAgentMutator({
      command: ["node", fakeAgent],
      instructions: "x",
      killGraceMs: 100,
      env: { FAKE_AGENT_MODE: "hang", FAKE_AGENT_PIDS: pids },
    });
    const pending = mutator.propose(proposeOptions(directory, { scope, abortSignal: controller.signal }));
    // Abort once the agent has started (it writes its pids first thing).
    for (let attempt = 0; attempt < 250; attempt++) {
      if (await readFile(pids, "utf8").catch(() => "")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort(new Error("user stop"));
    await expect(pending).rejects.toThrow("user stop");
    const [agent] = JSON.parse(await readFile(pids, "utf8")) as number[];
    expect(alive(agent as number)).toBe(false);
  });

  it("says how to install a preset's program that is not on PATH", async () => {
    const mutator = createAgentMutator({
      preset: "codex",
      instructions: "x",
      env: { PATH: join(root, "empty") },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({ type: "failed", error: expect.stringContaining("not found on PATH") });
    expect(proposal.type === "failed" && proposal.error).toContain("npm install -g @openai/codex");
  });
});

describe("the agent's environment and version", () => {
  const path = () => `${bin}${delimiter}${process.env.PATH}`;

  it("gets the allowed variables and its preset's provider variables, never the rest of this process's", async () => {
    process.env.AGENT_TEST_UNLISTED_SECRET = "do-not-pass";
    process.env.ANTHROPIC_API_KEY = sentinelKey;
    process.env.AGENT_TEST_INHERITED = "inherited";
    try {
      const mutator = createAgentMutator({
        preset: "claude-code",
        instructions: "x",
        inheritEnv: ["AGENT_TEST_INHERITED"],
        env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
      });
      await mutator.propose(proposeOptions(directory, { scope }));
      const { env } = await recorded();
      expect(env.AGENT_TEST_UNLISTED_SECRET).toBeUndefined();
      expect(env.ANTHROPIC_API_KEY).toBe(sentinelKey);
      expect(env.AGENT_TEST_INHERITED).toBe("inherited");
      expect(env.HOME).toBe(process.env.HOME);

      // Codex's preset does not name Anthropic's variables: they stay out.
      await createAgentMutator({
        preset: "codex",
        instructions: "x",
        env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
      }).propose(proposeOptions(directory, { scope }));
      expect((await recorded()).env.ANTHROPIC_API_KEY).toBeUndefined();
    } finally {
      delete process.env.AGENT_TEST_UNLISTED_SECRET;
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.AGENT_TEST_INHERITED;
    }
  });

  it("warns once, and records, when the installed agent is older than the preset's minimum", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const mutator = createAgentMutator({
        preset: "claude-code",
        instructions: "x",
        env: { PATH: path(), FAKE_AGENT_VERSION: "2.0.1" },
      });
      const first = await mutator.propose(proposeOptions(directory, { scope }));
      await mutator.propose(proposeOptions(directory, { scope }));
      await new Promise((resolve) => setImmediate(resolve));
      expect(first.type !== "exhausted" && first.metadata).toMatchObject({
        agentVersion: "2.0.1",
        versionWarning: expect.stringContaining("older than 2.1.248"),
      });
      const ours = warnings.filter(
        (warning) => (warning as { code?: string }).code === "AUTORESEARCH_AGENT_VERSION",
      );
      expect(ours).toHaveLength(1);
      expect(ours[0]?.message).toContain("`claude` is version 2.0.1, older than 2.1.248");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("records the version without a warning when it is recent enough", async () => {
    const mutator = createAgentMutator({
      preset: "codex",
      instructions: "x",
      env: { PATH: path(), FAKE_AGENT_VERSION: "0.171.0" },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal.type !== "exhausted" && proposal.metadata).toMatchObject({ agentVersion: "0.171.0" });
    expect(proposal.type !== "exhausted" && proposal.metadata?.versionWarning).toBeUndefined();
  });
});

describe("the presets, run against a fake program of the same name", () => {
  const path = () => `${bin}${delimiter}${process.env.PATH}`;

  it("aider gets the prompt file, the editable files and no git, and leaves no history in the worktree", async () => {
    const mutator = createAgentMutator({
      preset: "aider",
      model: "openai/qwen",
      instructions: "Raise the score.",
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({ type: "edit", description: "raise x to 2" });
    const { args, prompt } = await recorded();
    expect(prompt).toContain("Raise the score.");
    expect(args).toEqual(expect.arrayContaining(["--no-git", "--yes-always", "--no-auto-commits"]));
    expect(args.slice(-3)).toEqual(["--model", "openai/qwen", "params.json"]);
    expect(args).not.toContain("run.js");
    expect(args[args.indexOf("--chat-history-file") + 1]).not.toContain(directory);
    expect((await readdir(directory)).sort()).toEqual(["params.json", "run.js"]);
  });

  it("claude-code gets the prompt on stdin, a JSON stream, the file tools only and restricted mode", async () => {
    const mutator = createAgentMutator({
      preset: "claude-code",
      instructions: "Raise the score.",
      extraArgs: ["--max-turns", "30"],
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
    });
    expect(await mutator.propose(proposeOptions(directory, { scope }))).toMatchObject({
      type: "edit",
      description: "raise x to 2",
    });
    const { args, prompt, env } = await recorded();
    expect(prompt).toContain("Raise the score.");
    expect(args.slice(0, 4)).toEqual(["-p", "--output-format", "stream-json", "--verbose"]);
    expect(args).toEqual(expect.arrayContaining(["--permission-mode", "acceptEdits", "--restricted"]));
    expect(args[args.indexOf("--tools") + 1]).toBe("Read,Edit,Write,Glob,Grep");
    expect(args.slice(-2)).toEqual(["--max-turns", "30"]);
    expect(env).toMatchObject({ CLAUDE_CODE_MAX_RETRIES: "2", API_TIMEOUT_MS: "30000" });
  });

  it("qwen-code gets the prompt on stdin, the OpenAI client, the server's URL and the file tools only", async () => {
    const mutator = createAgentMutator({
      preset: "qwen-code",
      model: "qwen3-coder",
      baseURL: "http://127.0.0.1:1/v1",
      instructions: "Raise the score.",
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
    });
    expect(await mutator.propose(proposeOptions(directory, { scope }))).toMatchObject({ type: "edit" });
    const { args, prompt, env } = await recorded();
    expect(prompt).toContain("Raise the score.");
    expect(args).toEqual(expect.arrayContaining(["--approval-mode", "auto-edit", "--auth-type", "openai"]));
    expect(args.slice(-2)).toEqual(["--model", "qwen3-coder"]);
    expect(args[args.indexOf("--exclude-tools") + 1]).toContain("run_shell_command");
    expect(env).toMatchObject({
      OPENAI_BASE_URL: "http://127.0.0.1:1/v1",
      QWEN_CODE_API_TIMEOUT_MS: "30000",
    });
  });

  it("codex gets the prompt on stdin, a sandbox without temporary folders, and CODEX_API_KEY", async () => {
    const mutator = createAgentMutator({
      preset: "codex",
      model: "gpt-5-codex",
      instructions: "Raise the score.",
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile, OPENAI_API_KEY: sentinelKey },
    });
    expect(await mutator.propose(proposeOptions(directory, { scope }))).toMatchObject({
      type: "edit",
      description: "raise x to 2",
    });
    const { args, prompt, env } = await recorded();
    expect(args.slice(0, 8)).toEqual([
      "exec",
      "--json",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--ephemeral",
      "--color",
      "never",
    ]);
    expect(args).toEqual(expect.arrayContaining(["sandbox_workspace_write.exclude_slash_tmp=true"]));
    expect(args.slice(-3)).toEqual(["--model", "gpt-5-codex", "-"]);
    expect(args.join(" ")).not.toContain("model_providers");
    expect(env.CODEX_API_KEY).toBe(sentinelKey);
    expect(prompt).toContain("Raise the score.");
  });

  it("codex with a base URL gets a provider of its own with bounded retries", async () => {
    const mutator = createAgentMutator({
      preset: "codex",
      baseURL: "http://127.0.0.1:1/v1",
      maxRetries: 1,
      instructions: "Raise the score.",
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile, CODEX_API_KEY: sentinelKey },
    });
    await mutator.propose(proposeOptions(directory, { scope }));
    const { args } = await recorded();
    expect(args).toEqual(
      expect.arrayContaining([
        "model_provider=autoresearch",
        'model_providers.autoresearch.base_url="http://127.0.0.1:1/v1"',
        "model_providers.autoresearch.request_max_retries=1",
        "model_providers.autoresearch.stream_max_retries=1",
        'model_providers.autoresearch.env_key="CODEX_API_KEY"',
      ]),
    );
  });
});

describe("the agent's usage and cost", () => {
  const path = () => `${bin}${delimiter}${process.env.PATH}`;
  const usage = { inputTokens: 4000, outputTokens: 500, cachedInputTokens: 3000 };

  it("records the tokens and the cost the agent reports", async () => {
    const mutator = createAgentMutator({
      preset: "claude-code",
      instructions: "x",
      env: { PATH: path(), FAKE_AGENT_MODE: "claude-json" },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({
      type: "edit",
      description: "raise x to 2",
      usage,
      costUsd: 0.25,
      metadata: { model: "claude-sonnet-4-5", costSource: "agent" },
    });
  });

  it("prices the tokens with the user's prices when they name the model", async () => {
    const mutator = createAgentMutator({
      preset: "claude-code",
      instructions: "x",
      prices: { "claude-sonnet-4-5": { inputPerMTok: 2, outputPerMTok: 10, cachedInputPerMTok: 0.1 } },
      env: { PATH: path(), FAKE_AGENT_MODE: "claude-json" },
    });
    const proposal = await mutator.propose(proposeOptions(directory, { scope }));
    expect(proposal).toMatchObject({ usage, metadata: { costSource: "estimate", costEstimated: false } });
    // 1000 uncached at $2/M, 3000 cached at $0.1/M, 500 output at $10/M.
    expect(proposal.type !== "exhausted" && proposal.costUsd).toBeCloseTo(
      (2000 + 300 + 5000) / 1_000_000,
      12,
    );
  });
});

describe("scripts/install-agent-clis.sh", () => {
  it("pins the versions the presets were checked with, and their minimums", () => {
    const script = fileURLToPath(new URL("../scripts/install-agent-clis.sh", import.meta.url));
    for (const column of ["checked", "minimum"] as const) {
      const listed = execFileSync("bash", [script, "list"], {
        encoding: "utf8",
        env: { ...process.env, AUTORESEARCH_AGENT_CLI_VERSIONS: column },
      });
      const versions = Object.fromEntries(
        listed
          .trim()
          .split("\n")
          .map((line) => line.split(" "))
          .map(([preset, , version]) => [preset, version]),
      );
      const expected = Object.fromEntries(
        (["claude-code", "codex", "qwen-code"] as const).map((name) => [
          name,
          column === "checked" ? agentPresets[name].checkedVersion : agentPresets[name].minimumVersion,
        ]),
      );
      expect(versions).toEqual(expected);
    }
  });
});
