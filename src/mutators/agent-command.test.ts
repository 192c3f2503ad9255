import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { prepareResearchSandbox } from "../sandbox/research-sandbox.js";
import { sandboxSettingsSchema } from "../sandbox/sandbox-options.js";
import { sandboxed } from "./agent-command.js";

const root = mkdtempSync(join(tmpdir(), "autoresearch-agent-command-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const checkout = join(root, "checkout");
const worktree = join(checkout, ".autoresearch", "tag", "worktrees", "trial");
mkdirSync(worktree, { recursive: true });

const set: string[] = [];
afterEach(() => {
  for (const name of set.splice(0)) delete process.env[name];
});
function setDriverVariable(name: string, value: string) {
  set.push(name);
  process.env[name] = value;
}

describe("a sandboxed agent's environment", () => {
  it("is what its mutator built plus network settings: no other provider's key from the driver", async () => {
    setDriverVariable("ANTHROPIC_API_KEY", "sentinel-anthropic-key");
    setDriverVariable("GEMINI_API_KEY", "sentinel-gemini-key");
    setDriverVariable("HTTPS_PROXY", "http://proxy.internal:3128");
    setDriverVariable("EXTRA_FOR_AGENT", "declared");
    const sandbox = await prepareResearchSandbox(
      sandboxSettingsSchema.parse({ agent: { env: ["EXTRA_FOR_AGENT"] } }),
      { researchedDirectory: checkout, worktree, trialDirectory: worktree },
      {
        runners: [{ name: "command", appliesSandbox: true }],
        detect: async () => ({
          available: true as const,
          program: "/usr/bin/bwrap",
          version: "0.8.0",
          disablesUserNamespaces: true,
        }),
        home: join(root, "home"),
        devices: [],
      },
    );
    const command = sandboxed(
      { argv: ["codex", "exec"], cwd: worktree, env: { PATH: "/usr/bin", CODEX_API_KEY: "codex-key" } },
      sandbox.agent as NonNullable<typeof sandbox.agent>,
    );
    expect(command.argv[0]).toBe("/usr/bin/bwrap");
    expect(command.env.CODEX_API_KEY).toBe("codex-key");
    expect(command.env.HTTPS_PROXY).toBe("http://proxy.internal:3128");
    expect(command.env.EXTRA_FOR_AGENT).toBe("declared");
    expect(command.env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(command.env.GEMINI_API_KEY).toBeUndefined();
  });
});
