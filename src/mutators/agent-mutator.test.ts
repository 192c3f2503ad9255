import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { createAgentMutator, parseAgentOutput } from "./agent-mutator.js";
import { agentPresets } from "./agent-presets.js";

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

  it("keeps aider from committing and from writing its history into the worktree", () => {
    const aider = agentPresets.aider.command;
    expect(aider).toEqual(expect.arrayContaining(["--no-git", "--no-auto-commits", "--yes-always"]));
    expect(aider[aider.indexOf("--chat-history-file") + 1]).toMatch(/^\{tempDirectory\}/);
    expect(aider[aider.indexOf("--input-history-file") + 1]).toMatch(/^\{tempDirectory\}/);
    expect(aider[agentPresets.aider.argumentsAt]).toBe("{files}");
    expect(agentPresets.codex.command[agentPresets.codex.argumentsAt]).toBe("-");
    expect(agentPresets["claude-code"].command.slice(0, agentPresets["claude-code"].argumentsAt)).toEqual([
      "claude",
      "-p",
      "{prompt}",
    ]);
  });
});
