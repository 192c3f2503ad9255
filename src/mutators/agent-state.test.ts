import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { agentPresets } from "./agent-presets.js";
import { privateAgentState } from "./agent-state.js";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});
function folder(): string {
  const path = mkdtempSync(join(tmpdir(), "autoresearch-agent-state-"));
  roots.push(path);
  return path;
}

describe("privateAgentState", () => {
  it("copies the agent's settings and login into the scratch folder and points the agent there", async () => {
    const home = folder();
    const scratch = folder();
    mkdirSync(join(home, ".codex", "sessions"), { recursive: true });
    writeFileSync(join(home, ".codex", "config.toml"), 'model = "m"\n');
    writeFileSync(join(home, ".codex", "auth.json"), "{}\n");
    writeFileSync(join(home, ".codex", "sessions", "old.jsonl"), "history\n");
    const variables = await privateAgentState(agentPresets.codex, { HOME: home }, scratch);
    const target = variables.CODEX_HOME as string;
    expect(target.startsWith(scratch)).toBe(true);
    expect(readFileSync(join(target, "config.toml"), "utf8")).toBe('model = "m"\n');
    expect(readFileSync(join(target, "auth.json"), "utf8")).toBe("{}\n");
    // Only the listed files: the user's history stays where it is.
    expect(() => readFileSync(join(target, "sessions", "old.jsonl"))).toThrow();
    // Writes to the copy never reach the user's folder.
    writeFileSync(join(target, "config.toml"), "planted\n");
    expect(readFileSync(join(home, ".codex", "config.toml"), "utf8")).toBe('model = "m"\n');
  });

  it("copies from the folder the agent's variable names, and starts empty when there is none", async () => {
    const own = folder();
    writeFileSync(join(own, "settings.json"), '{"a":1}\n');
    const scratch = folder();
    const variables = await privateAgentState(
      agentPresets["qwen-code"],
      { HOME: folder(), QWEN_HOME: own },
      scratch,
    );
    expect(readFileSync(join(variables.QWEN_HOME as string, "settings.json"), "utf8")).toBe('{"a":1}\n');
    const empty = await privateAgentState(agentPresets.codex, { HOME: folder() }, folder());
    expect(Object.keys(empty)).toEqual(["CODEX_HOME"]);
    expect(await privateAgentState(agentPresets["claude-code"], { HOME: folder() }, folder())).toEqual({});
  });
});
