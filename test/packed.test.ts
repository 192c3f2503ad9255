import { execFile, execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raiseParameterScript, startFakeOpenAIServer } from "./fixtures/llm/fake-openai-server.js";

/**
 * The package as users get it: `npm pack`, installed from the tarball into a fresh project outside the
 * repository (in a folder whose path has spaces) that depends on `ai` 7 and a v4 provider itself, then used as
 * users use it: the demo through `npx`, a script with the user's own model, `require` from CommonJS, and the
 * type check of code written against its types. And the same files laid out as a checkout with spaces in its path.
 */

const repository = resolve(".");
let project: string;
let packDirectory: string;
let tarball: string;

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
  project = mkdtempSync(join(tmpdir(), "autoresearch user project "));
  // The test command built dist/ already; `prepack` would rebuild it under the other tests' feet.
  const packed = JSON.parse(
    npm(["pack", "--json", "--ignore-scripts", "--pack-destination", packDirectory], repository),
  ) as {
    filename: string;
  }[];
  tarball = join(packDirectory, packed[0]?.filename ?? "");
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
      devDependencies: {
        typescript: own.devDependencies.typescript,
        "@types/node": own.devDependencies["@types/node"],
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

describe("the installed package used as users use it", () => {
  it("runs the demo through npx, from the installed copy", () => {
    const result = spawnSync(
      "npx",
      ["--no-install", "autoresearch", "demo", "my demo", "--max-trials", "3"],
      {
        cwd: project,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 240_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`The demo repository is ${join(project, "my demo")}`);
    expect(result.stdout).toContain("npx autoresearch report quickstart --directory 'my demo'");
    const ledger = readFileSync(join(project, "my demo", ".autoresearch/quickstart/ledger.jsonl"), "utf8");
    expect(ledger.trim().split("\n")).toHaveLength(3);
  });

  it("loads with require() from CommonJS", () => {
    const output = execFileSync(
      process.execPath,
      [
        "-e",
        'const api = require("autoresearch"); const mocks = require("autoresearch/test"); console.log(JSON.stringify([typeof api.runResearch, typeof api.createCommandRunner, typeof mocks.MockRunner]))',
      ],
      { cwd: project, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(JSON.parse(output)).toEqual(["function", "function", "function"]);
  });

  it("type-checks code written against its types, and its types catch mistakes", () => {
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          // As \`tsc --init\` sets it: the AI SDK's provider types reference \`json-schema\` types they do not ship.
          skipLibCheck: true,
          types: ["node"],
        },
        files: ["check.ts"],
      }),
    );
    writeFileSync(
      join(project, "check.ts"),
      `import { createCommandRunner, defineConfig, defineRunner, isTrialCount, runResearch, type ResearchSummary } from "autoresearch";
import { MockMutator } from "autoresearch/test";

export const config = defineConfig({
  runner: { command: "python train.py", timeoutMs: 600_000 },
  objective: { metric: "val_bpb", direction: "minimize" },
  mutator: { searchSpace: { file: "config.json", space: { lr: { type: "float", min: 0.001, max: 0.1 } } } },
  scope: { editable: ["config.json"] },
  holdout: { runner: { command: "python eval.py" }, objective: { metric: "acc", direction: "maximize" } },
});
// @ts-expect-error: not a built-in mutator
defineConfig({ runner: { command: "x" }, objective: { metric: "m", direction: "minimize" }, mutator: { patchez: "p" }, scope: { editable: ["a"] } });

const runner = defineRunner({
  name: "mine",
  run: async ({ logFile }) => ({ exitCode: 0, signal: null, durationMs: 1, timedOut: false, interrupted: false, logFile, outputTail: "" }),
});
export async function research(directory: string): Promise<ResearchSummary> {
  return runResearch({
    directory,
    tag: "typed",
    runner: Math.random() > 0.5 ? runner : createCommandRunner({ command: ["node", "x.js"] }),
    objective: (await import("autoresearch")).createMetricObjective({ metric: "score", direction: "maximize" }),
    mutator: new MockMutator({ propose: [{ files: { "a.txt": "b" }, description: "b" }] }),
    scope: { editable: ["a.txt"] },
    stopWhen: isTrialCount(2),
  });
}
`,
    );
    const result = spawnSync(join(project, "node_modules", ".bin", "tsc"), ["-p", "."], {
      cwd: project,
      encoding: "utf8",
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });

  it("runs the demo from a checkout whose path has spaces", () => {
    const checkout = join(
      mkdtempSync(join(tmpdir(), "autoresearch-checkout-")),
      "my checkout of autoresearch",
    );
    mkdirSync(checkout);
    execFileSync("tar", ["-xzf", tarball, "-C", checkout, "--strip-components=1"]);
    // The checkout's own dependencies, as \`npm ci\` would install them.
    symlinkSync(join(repository, "node_modules"), join(checkout, "node_modules"));
    const result = spawnSync(
      process.execPath,
      [join(checkout, "dist", "cli.js"), "demo", "the demo", "--max-trials", "2"],
      {
        cwd: join(checkout, ".."),
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 240_000,
      },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "node 'my checkout of autoresearch/dist/cli.js' report quickstart --directory 'the demo'",
    );
    rmSync(join(checkout, ".."), { recursive: true, force: true });
  });
});
