import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { createAgentMutator, parseAgentOutput } from "./agent-mutator.js";
import { agentPresets } from "./agent-presets.js";
import { compareVersions } from "./agent-version.js";

describe("parseAgentOutput", () => {
  it("takes the last DESCRIPTION line, with markdown around it, and the rationale", () => {
    const output =
      "DESCRIPTION: first try\nthinking…\n**DESCRIPTION:** use cosine schedule\n> RATIONALE: warmup helps\ncost: $0.02\n";
    expect(parseAgentOutput(output)).toEqual({
      description: "use cosine schedule",
      rationale: "warmup helps",
    });
  });

  it("falls back to the last non-empty line, without terminal colours", () => {
    expect(parseAgentOutput("working\n\u001b[32mchanged the lr to 0.02\u001b[0m\n\n")).toEqual({
      description: "changed the lr to 0.02",
    });
    expect(parseAgentOutput("   \n").description).toBe("(the agent printed no description)");
  });
});

describe("createAgentMutator options", () => {
  it("wants exactly one of preset and command", () => {
    expect(() => createAgentMutator({ instructions: "x" })).toThrow(ConfigurationError);
    expect(() => createAgentMutator({ preset: "aider", command: ["x"], instructions: "x" })).toThrow(
      /exactly one of `preset` or `command`/,
    );
    expect(() => createAgentMutator({ preset: "cursor" as never, instructions: "x" })).toThrow(/`preset`/);
  });

  it("names itself after the preset or the command", () => {
    expect(createAgentMutator({ preset: "codex", instructions: "x" }).name).toBe("agent:codex");
    expect(createAgentMutator({ command: ["my-agent"], instructions: "x" }).name).toBe("agent:my-agent");
  });

  it("rejects a base URL that is not one and a negative retry count", () => {
    expect(() =>
      createAgentMutator({ preset: "codex", baseURL: "localhost:8000", instructions: "x" }),
    ).toThrow(/`baseURL`/);
    expect(() => createAgentMutator({ preset: "codex", maxRetries: -1, instructions: "x" })).toThrow(
      /`maxRetries`/,
    );
  });
});

describe("agentPresets", () => {
  const settings = {
    model: undefined,
    baseURL: undefined,
    maxRetries: 2,
    connectTimeoutMs: 30_000,
    env: {},
    promptFile: "/scratch/prompt.md",
    tempDirectory: "/scratch",
    sandboxed: false,
    editableFiles: async () => ["params.json"],
  };

  it("leaves Codex's own sandbox off only inside the research's, where it could not start", async () => {
    const mode = async (sandboxed: boolean) => {
      const { args } = await agentPresets.codex.invocation({ ...settings, sandboxed });
      return args[args.indexOf("--sandbox") + 1];
    };
    expect(await mode(false)).toBe("workspace-write");
    expect(await mode(true)).toBe("danger-full-access");
  });

  it("keeps aider from committing and from writing its history into the worktree", async () => {
    const { args, trailingArgs, promptOnStdin } = await agentPresets.aider.invocation(settings);
    expect(args).toEqual(expect.arrayContaining(["--no-git", "--no-auto-commits", "--yes-always"]));
    expect(args[args.indexOf("--message-file") + 1]).toBe("/scratch/prompt.md");
    expect(args[args.indexOf("--chat-history-file") + 1]).toMatch(/^\/scratch\//);
    expect(args[args.indexOf("--input-history-file") + 1]).toMatch(/^\/scratch\//);
    expect(trailingArgs).toEqual(["params.json"]);
    expect(promptOnStdin).toBe(false);
  });

  it("passes every prompt but aider's on standard input, where its size has no limit", async () => {
    for (const name of ["claude-code", "codex", "qwen-code"] as const) {
      const invocation = await agentPresets[name].invocation(settings);
      expect(invocation.promptOnStdin).toBe(true);
      expect(invocation.args.join(" ")).not.toContain("/scratch/prompt.md");
    }
    expect((await agentPresets.codex.invocation(settings)).trailingArgs).toEqual(["-"]);
  });

  it("bounds each agent's retries and its wait for a server to answer", async () => {
    const tight = { ...settings, maxRetries: 1, connectTimeoutMs: 5_000, baseURL: "http://127.0.0.1:1/v1" };
    expect((await agentPresets["claude-code"].invocation(tight)).env).toMatchObject({
      CLAUDE_CODE_MAX_RETRIES: "1",
      API_TIMEOUT_MS: "5000",
      ANTHROPIC_BASE_URL: "http://127.0.0.1:1/v1",
    });
    expect((await agentPresets["qwen-code"].invocation(tight)).env).toMatchObject({
      QWEN_CODE_API_TIMEOUT_MS: "5000",
    });
    expect((await agentPresets.codex.invocation(tight)).args).toEqual(
      expect.arrayContaining(["model_providers.autoresearch.request_max_retries=1"]),
    );
    expect(agentPresets["qwen-code"].stopWhenSilent).toBe(true);
  });

  it("states a minimum version no newer than the one each was checked with", () => {
    for (const preset of Object.values(agentPresets)) {
      expect(preset.minimumVersion).toMatch(/^\d+\.\d+\.\d+$/);
      if (preset.checkedVersion)
        expect(compareVersions(preset.minimumVersion, preset.checkedVersion)).toBeLessThanOrEqual(0);
    }
  });
});
