import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { prepareResearchSandbox, runPolicy } from "./research-sandbox.js";
import { sandboxSettingsSchema } from "./sandbox-options.js";

const root = mkdtempSync(join(tmpdir(), "autoresearch-research-sandbox-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const home = join(root, "home");
mkdirSync(join(home, ".aws"), { recursive: true });
writeFileSync(join(home, ".netrc"), "machine x\n");
const checkout = join(root, "checkout");
const worktree = join(checkout, ".autoresearch", "tag", "worktrees", "trial");
mkdirSync(worktree, { recursive: true });
const paths = { researchedDirectory: checkout, worktree, trialDirectory: join(worktree, "sub") };
const available = async () => ({ available: true as const, program: "/usr/bin/bwrap", version: "0.8.0" });
const missing = async () => ({ available: false as const, reason: "`bwrap` was not found on PATH" });
const command = [{ name: "command", appliesSandbox: true }];

describe("prepareResearchSandbox", () => {
  it("writes the trial directory and declared caches only; hides the state and the home folder's credentials", async () => {
    const settings = sandboxSettingsSchema.parse({
      writable: ["cache"],
      readOnly: ["/tmp/data"],
      env: ["HF_*"],
    });
    const sandbox = await prepareResearchSandbox(settings, paths, {
      runners: command,
      detect: available,
      home,
      devices: ["/dev/nvidia0"],
    });
    expect(sandbox.summary).toBe("bubblewrap 0.8.0");
    expect(sandbox.notice).toBeUndefined();
    const experiment = sandbox.experiment;
    expect(experiment?.mounts).toEqual([
      { path: join(checkout, ".autoresearch"), access: "hidden" },
      { path: join(home, ".aws"), access: "hidden" },
      { path: join(home, ".netrc"), access: "hidden" },
      { path: "/tmp/data", access: "read-only" },
      { path: join(checkout, "cache"), access: "writable" },
      { path: worktree, access: "read-only" },
      { path: join(worktree, "sub"), access: "writable" },
      { path: join(worktree, ".git"), access: "read-only" },
    ]);
    expect(experiment).toMatchObject({
      isolation: "bubblewrap",
      bubblewrap: "/usr/bin/bwrap",
      network: false,
    });
    expect(experiment?.devices).toEqual(["/dev/nvidia0"]);
    expect(experiment?.environment).toContain("HF_*");
    expect(experiment?.environment).not.toContain("ANTHROPIC_*");
    expect(sandbox.agent?.network).toBe(true);
    expect(sandbox.agent?.environment).toContain("ANTHROPIC_*");
    expect(runPolicy(experiment as never, [join(worktree, "sub", "eval.py")]).mounts.at(-1)).toEqual({
      path: join(worktree, "sub", "eval.py"),
      access: "read-only",
    });
  });

  it("says once, clearly, when the research runs unsandboxed, and still filters the environment", async () => {
    const sandbox = await prepareResearchSandbox(sandboxSettingsSchema.parse({}), paths, {
      runners: command,
      detect: missing,
      home,
    });
    expect(sandbox.summary).toBe("unsandboxed: `bwrap` was not found on PATH");
    expect(sandbox.notice).toMatch(
      /^This research runs UNSANDBOXED: `bwrap` was not found on PATH\..*apt-get install bubblewrap/,
    );
    expect(sandbox.experiment?.isolation).toBe("none");
  });

  it("refuses `required` without bubblewrap, or with a runner that would not apply it", async () => {
    const required = sandboxSettingsSchema.parse({ mode: "required" });
    const withoutBubblewrap = await prepareResearchSandbox(required, paths, {
      runners: command,
      detect: missing,
    }).catch((error: unknown) => error);
    expect(ConfigurationError.isInstance(withoutBubblewrap)).toBe(true);
    expect((withoutBubblewrap as Error).message).toContain("requires a sandbox");
    const ignoring = await prepareResearchSandbox(required, paths, {
      runners: [{ name: "my-runner" }],
      detect: available,
    }).catch((error: unknown) => error);
    expect((ignoring as Error).message).toContain("the runner `my-runner` does not apply it");
    const auto = await prepareResearchSandbox(sandboxSettingsSchema.parse({}), paths, {
      runners: [{ name: "my-runner" }],
      detect: available,
    });
    expect(auto.notice).toContain("The runner `my-runner` does not apply the sandbox");
  });

  it("is off with `sandbox: false`", async () => {
    expect(await prepareResearchSandbox(undefined, paths, { runners: command, detect: available })).toEqual({
      experiment: undefined,
      agent: undefined,
      notice: undefined,
      summary: "off",
    });
  });
});
