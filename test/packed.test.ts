import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raiseParameterScript, startFakeOpenAIServer } from "./fixtures/llm/fake-openai-server.js";

/**
 * The package as users get it: `npm pack`, installed from the tarball into a fresh project outside the
 * repository that depends on `ai` 7 and a v4 provider itself, then used from a script with the user's own model.
 */

const repository = resolve(".");
let project: string;
let packDirectory: string;

function npm(args: string[], cwd: string): string {
  return execFileSync("npm", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      npm_config_fund: "false",
      npm_config_audit: "false",
      npm_config_update_notifier: "false",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

beforeAll(() => {
  packDirectory = mkdtempSync(join(tmpdir(), "autoresearch-pack-"));
  project = mkdtempSync(join(tmpdir(), "autoresearch-user-"));
  // The test command built dist/ already; `prepack` would rebuild it under the other tests' feet.
  const packed = JSON.parse(
    npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDirectory], repository),
  ) as {
    filename: string;
  }[];
  const tarball = join(packDirectory, packed[0]?.filename ?? "");
  const own = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
    dependencies: Record<string, string>;
  };
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "user-project",
      private: true,
      type: "module",
      dependencies: {
        autoresearch: `file:${tarball}`,
        // The user's own AI SDK: the versions this repository tests with, so the install is served from cache.
        ai: own.devDependencies.ai,
        "@ai-sdk/openai-compatible": own.dependencies["@ai-sdk/openai-compatible"],
      },
    }),
  );
  npm(["install", "--prefer-offline", "--no-package-lock"], project);
}, 300_000);

afterAll(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(packDirectory, { recursive: true, force: true });
});

describe("the packed package installed into a fresh project", () => {
  it("ships the built files and loads one copy of `ai`: the user's", () => {
    const installed = join(project, "node_modules", "autoresearch");
    expect(existsSync(join(installed, "dist", "index.js"))).toBe(true);
    expect(existsSync(join(installed, "dist", "cli.js"))).toBe(true);
    // `ai` is a peer dependency: npm puts the user's copy at the top and none inside the package.
    expect(existsSync(join(installed, "node_modules", "ai"))).toBe(false);
    const copies = readdirSync(join(project, "node_modules")).filter((name) => name === "ai");
    expect(copies).toEqual(["ai"]);
  });

  it("runs a research with the user's own AI SDK 7 model object against an OpenAI-compatible server", async () => {
    const server = await startFakeOpenAIServer(raiseParameterScript);
    try {
      const script = join(project, "research.mjs");
      writeFileSync(
        script,
        `
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { createCommandRunner, createLlmMutator, createMetricObjective, isTrialCount, runResearch } from "autoresearch";

const directory = mkdtempSync(join(tmpdir(), "user-research-"));
writeFileSync(join(directory, "params.json"), '{ "x": 1 }\\n');
writeFileSync(join(directory, "run.cjs"), 'const { x } = require("./params.json"); console.log("score: " + x * 10);\\n');
const git = (...args) => execFileSync("git", ["-c", "user.name=u", "-c", "user.email=u@example.invalid", ...args], { cwd: directory });
git("init", "-q", "-b", "main");
git("add", ".");
git("commit", "-q", "-m", "initial");

const model = createOpenAICompatible({ name: "mine", baseURL: process.env.FAKE_BASE_URL }).chatModel("fake-coder");
const summary = await runResearch({
  directory,
  tag: "user",
  objective: createMetricObjective({ metric: "score", direction: "maximize" }),
  mutator: createLlmMutator({ model, instructions: "Raise the score.", retry: { maxRetries: 0 } }),
  runner: createCommandRunner({ command: "node run.cjs", timeoutMs: 30000 }),
  scope: { editable: ["params.json"], protected: ["run.cjs"] },
  stopWhen: isTrialCount(3),
});
console.log(JSON.stringify({
  spec: model.specificationVersion,
  statuses: summary.records.map((record) => record.status),
  best: summary.best?.metric,
}));
`,
      );
      // Asynchronously: the fake server answers from this process.
      const { stdout } = await promisify(execFile)(process.execPath, [script], {
        cwd: project,
        encoding: "utf8",
        env: { ...process.env, FAKE_BASE_URL: server.baseURL },
        timeout: 120_000,
      });
      const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
      expect(result).toEqual({ spec: "v4", statuses: ["keep", "keep", "keep"], best: 30 });
      expect(server.requests.length).toBe(6);
    } finally {
      await server.close();
    }
  });
});
