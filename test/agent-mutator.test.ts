import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAgentMutator } from "../src/mutators/agent-mutator.js";
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
  for (const name of ["claude", "codex", "aider"]) await symlink(fakeAgent, join(bin, name));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const scope = { editable: ["params.json"], protected: ["run.js"] };

async function recorded(): Promise<{ args: string[]; prompt: string; cwd: string }> {
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

  it("claude-code gets the prompt as its -p argument and file tools only", async () => {
    const mutator = createAgentMutator({
      preset: "claude-code",
      instructions: "Raise the score.",
      extraArgs: ["--max-turns", "30"],
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
    });
    expect(await mutator.propose(proposeOptions(directory, { scope }))).toMatchObject({ type: "edit" });
    const { args } = await recorded();
    expect(args[0]).toBe("-p");
    expect(args[1]).toContain("Raise the score.");
    expect(args.slice(2, 4)).toEqual(["--max-turns", "30"]);
    expect(args).toEqual(
      expect.arrayContaining(["--permission-mode", "acceptEdits", "--disallowedTools", "Bash"]),
    );
  });

  it("codex gets the prompt on stdin", async () => {
    const mutator = createAgentMutator({
      preset: "codex",
      model: "gpt-5-codex",
      instructions: "Raise the score.",
      env: { PATH: path(), FAKE_AGENT_RECORD: recordFile },
    });
    expect(await mutator.propose(proposeOptions(directory, { scope }))).toMatchObject({
      type: "edit",
      description: "raise x to 2",
    });
    const { args, prompt } = await recorded();
    expect(args).toEqual([
      "exec",
      "--sandbox",
      "workspace-write",
      "--skip-git-repo-check",
      "--color",
      "never",
      "--model",
      "gpt-5-codex",
      "-",
    ]);
    expect(prompt).toContain("Raise the score.");
  });
});
