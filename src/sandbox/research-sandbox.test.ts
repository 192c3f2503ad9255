import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { SandboxPolicy } from "../spec/sandbox.js";
import { detectBubblewrap } from "./bubblewrap.js";
import { linkedFolders, prepareResearchSandbox, runPolicy } from "./research-sandbox.js";
import { sandboxSettingsSchema } from "./sandbox-options.js";
import { wrapCommand } from "./wrap-command.js";

// CI installs bubblewrap; a developer without it gets a skip rather than a failure.
const needsBubblewrap = it.skipIf(!(await detectBubblewrap()).available && !process.env.CI);

const root = mkdtempSync(join(tmpdir(), "autoresearch-research-sandbox-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const home = join(root, "home");
mkdirSync(join(home, ".aws"), { recursive: true });
writeFileSync(join(home, ".netrc"), "machine x\n");
mkdirSync(join(home, ".cache", "huggingface"), { recursive: true });
writeFileSync(join(home, ".cache", "huggingface", "token"), "hf_x\n");
mkdirSync(join(home, ".claude"), { recursive: true });
writeFileSync(join(home, ".claude", ".credentials.json"), "{}\n");
const checkout = join(root, "checkout");
const worktree = join(checkout, ".autoresearch", "tag", "worktrees", "trial");
mkdirSync(worktree, { recursive: true });
const paths = { researchedDirectory: checkout, worktree, trialDirectory: join(worktree, "sub") };
const available = async () => ({
  available: true as const,
  program: "/usr/bin/bwrap",
  version: "0.8.0",
  disablesUserNamespaces: true,
});
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
      { path: join(home, ".cache/huggingface/token"), access: "hidden" },
      { path: join(home, ".claude/.credentials.json"), access: "hidden" },
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
    // Tokens in the home folder are hidden; an agent's own login only from experiments.
    const hiddenFrom = (policy: SandboxPolicy | undefined) =>
      policy?.mounts.filter((mount) => mount.access === "hidden").map((mount) => mount.path) ?? [];
    expect(hiddenFrom(experiment)).toEqual(
      expect.arrayContaining([
        join(home, ".cache/huggingface/token"),
        join(home, ".claude/.credentials.json"),
      ]),
    );
    expect(hiddenFrom(sandbox.agent)).toContain(join(home, ".cache/huggingface/token"));
    expect(hiddenFrom(sandbox.agent)).not.toContain(join(home, ".claude/.credentials.json"));
    expect(experiment?.environment).toContain("HF_*");
    expect(experiment?.environment).not.toContain("ANTHROPIC_*");
    expect(sandbox.agent?.network).toBe(true);
    // An agent's provider variables come from its mutator, explicitly; the sandbox passes no provider's on its own.
    expect(sandbox.agent?.environment).not.toContain("ANTHROPIC_*");
    expect(sandbox.agent?.environment).toContain("HTTPS_PROXY");
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

describe("linked folders", () => {
  it("mounts the targets of links at the checkout's top read-only, unless they point into a hidden folder", async () => {
    const outside = mkdtempSync(join(tmpdir(), "autoresearch-linked-"));
    const repository = mkdtempSync(join(tmpdir(), "autoresearch-linking-"));
    try {
      mkdirSync(join(outside, "venv"));
      mkdirSync(join(outside, "secrets"));
      mkdirSync(join(repository, "inside"));
      symlinkSync(join(outside, "venv"), join(repository, ".venv"));
      symlinkSync(join(outside, "secrets"), join(repository, "keys"));
      symlinkSync(join(repository, "inside"), join(repository, "alias"));
      symlinkSync(join(outside, "missing"), join(repository, "dangling"));
      expect(await linkedFolders([repository], [join(outside, "secrets")])).toEqual([
        { path: join(outside, "venv"), access: "read-only" },
      ]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
      rmSync(repository, { recursive: true, force: true });
    }
  });

  needsBubblewrap(
    "lets a run reach a virtualenv linked from the checkout even when it lies under /tmp",
    async () => {
      const venv = mkdtempSync(join(tmpdir(), "autoresearch-venv-"));
      const repository = mkdtempSync(join(tmpdir(), "autoresearch-linked-checkout-"));
      try {
        writeFileSync(join(venv, "python"), "#!/bin/sh\necho linked-python\n", { mode: 0o755 });
        symlinkSync(venv, join(repository, ".venv"));
        const trial = join(repository, ".autoresearch", "tag", "worktrees", "trial");
        mkdirSync(trial, { recursive: true });
        const sandbox = await prepareResearchSandbox(
          sandboxSettingsSchema.parse({}),
          {
            researchedDirectory: repository,
            repositoryRoot: repository,
            worktree: trial,
            trialDirectory: trial,
          },
          { runners: command, home },
        );
        const policy = sandbox.experiment as SandboxPolicy;
        const wrapped = wrapCommand(policy, {
          file: join(repository, ".venv", "python"),
          args: [],
          cwd: trial,
        });
        const output = execFileSync(wrapped.file, wrapped.args, {
          cwd: trial,
          env: wrapped.env,
          encoding: "utf8",
        });
        expect(output.trim()).toBe("linked-python");
        // Read-only there: the run cannot change the user's virtualenv.
        const write = wrapCommand(policy, {
          file: "sh",
          args: ["-c", `echo x > ${venv}/planted`],
          cwd: trial,
        });
        expect(() =>
          execFileSync(write.file, write.args, { cwd: trial, env: write.env, stdio: "ignore" }),
        ).toThrow();
        expect(existsSync(join(venv, "planted"))).toBe(false);
      } finally {
        rmSync(venv, { recursive: true, force: true });
        rmSync(repository, { recursive: true, force: true });
      }
    },
  );
});
