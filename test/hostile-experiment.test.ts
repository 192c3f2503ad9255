import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCommandRunner,
  createMetricObjective,
  isTrialCount,
  type ResearchOptions,
  readLedgerFile,
  runResearch,
} from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import { MockMutator } from "../src/testing/index.js";
import {
  aliveWithMarker,
  attackOutcomes,
  filesContaining,
  hostileScript,
  isHarnessGitPath,
  scratchDirectory,
  startRecordingServer,
  treeFingerprint,
} from "./helpers/hostile.js";
import { gitSync } from "./helpers/repository.js";

const support = await detectBubblewrap();
// CI installs bubblewrap (.ci/run); without it these tests cannot mean anything.
const sandboxed = describe.skipIf(!support.available && !process.env.CI);

const random = randomBytes(6).toString("hex");
const sentinels = {
  AWS_SECRET_ACCESS_KEY: `sentinel-aws-${random}`,
  GH_PAT: `sentinel-ghpat-${random}`,
  AZURE_OPENAI_KEY: `sentinel-azure-${random}`,
  DATABASE_URL: `postgres://admin:sentinel-dbpw-${random}@db.internal/app`,
  HF_TOKEN: `sentinel-hf-${random}`,
};
const fileSentinels = [`sentinel-awsfile-${random}`, `sentinel-ssh-${random}`];
const userSecret = `sentinel-user-${random}`;
const needles = [
  ...Object.values(sentinels).map((value) => value.replace(/^.*:(sentinel-[^@]+)@.*$/, "$1")),
  ...fileSentinels,
  userSecret,
];

// The evaluator (protected): it reads what an earlier run might have left before the proposal's code runs.
const evaluator = `
const fs = require("node:fs");
const read = (file) => { try { return JSON.parse(fs.readFileSync(file, "utf8")).score; } catch { return undefined; } };
const poisoned = read("data/override.json") ?? read("cache/score.json");
require("./train.js");
console.log("score: " + (poisoned ?? globalThis.score));
`;
const honest = (score: number) => `globalThis.score = ${score};\n`;

const roots: string[] = [];
const saved: Record<string, string | undefined> = {};
let home: string;
let temporary: string;

beforeAll(() => {
  home = scratchDirectory("autoresearch-hostile-home-");
  mkdirSync(join(home, ".aws"));
  mkdirSync(join(home, ".ssh"));
  writeFileSync(
    join(home, ".aws", "credentials"),
    `[default]\naws_secret_access_key = ${fileSentinels[0]}\n`,
  );
  writeFileSync(join(home, ".ssh", "id_rsa"), `-----BEGIN KEY-----\n${fileSentinels[1]}\n`);
  temporary = scratchDirectory("autoresearch-hostile-tmp-");
  for (const [name, value] of Object.entries({ ...sentinels, HOME: home, TMPDIR: temporary })) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  for (const root of [...roots, home, temporary]) rmSync(root, { recursive: true, force: true });
});

function hostileRepository(): { directory: string; traces: string } {
  const directory = scratchDirectory("autoresearch-hostile-");
  const traces = scratchDirectory("autoresearch-hostile-traces-");
  roots.push(directory, traces);
  const files: Record<string, string> = {
    ".gitignore": "data/*.json\ncache/\n",
    "data/train.txt": "the data\n",
    "run.js": evaluator,
    "train.js": honest(10),
  };
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(directory, file, ".."), { recursive: true });
    writeFileSync(join(directory, file), content);
  }
  gitSync(directory, "init", "-q", "-b", "main");
  gitSync(directory, "add", "-A");
  gitSync(directory, "commit", "-q", "-m", "the experiment");
  return { directory, traces };
}

const userView = (directory: string) => ({
  checkout: treeFingerprint(directory, (path) => path === ".git" || path === ".autoresearch"),
  git: treeFingerprint(
    directory,
    (path) => path.startsWith(".autoresearch") || !path.startsWith(".git") || isHarnessGitPath(path),
  ),
});

sandboxed("a hostile experiment in the sandbox", () => {
  it("fails at every attack or is recorded as failing; state, checkout and .git stay true; nothing survives; no secret leaks", {
    timeout: 120_000,
  }, async () => {
    const { directory, traces } = hostileRepository();
    const server = await startRecordingServer();
    const marker = `hostilemark${random}`;
    const config = { tag: "hostile", marker, traceDirectory: traces, port: server.port };
    const before = userView(directory);
    const proposals = [
      {
        files: { "train.js": hostileScript(config, honest(50)) },
        description: "every attack, then a poor score",
      },
      {
        files: { "train.js": honest(20) },
        description: "an honest, worse change: must not inherit any poison",
      },
      {
        files: { "train.js": hostileScript({ ...config, hang: true }, honest(0.0001)) },
        description: "every attack, then hang past the time limit",
      },
      { files: { "train.js": honest(5) }, description: "an honest improvement" },
    ];
    const options: ResearchOptions = {
      directory,
      tag: "hostile",
      mutator: new MockMutator({ propose: proposals }),
      runner: createCommandRunner({ command: ["node", "run.js"], timeoutMs: 8_000, killGraceMs: 500 }),
      objective: createMetricObjective({ metric: "score", direction: "minimize" }),
      scope: { editable: ["train.js"], protected: ["run.js", "data/**"] },
      stopWhen: isTrialCount(5),
      env: { SERVICE_URL: `https://svc:${userSecret}x@svc.internal/`, PLAIN_SETTING: userSecret },
      secrets: [userSecret],
      sandbox: { mode: "required", env: ["HF_TOKEN", "SERVICE_URL"] },
    };
    let summary: Awaited<ReturnType<typeof runResearch>>;
    try {
      summary = await runResearch(options);
    } finally {
      await server.close();
    }

    expect(summary.records.map((record) => record.status)).toEqual([
      "keep",
      "discard",
      "discard",
      "timeout",
      "keep",
    ]);
    expect(summary.records.map((record) => record.metric)).toEqual([10, 50, 20, null, 5]);
    const log = (id: number) =>
      readFileSync(join(directory, ".autoresearch/hostile", summary.records[id]?.log ?? ""), "utf8");
    for (const id of [1, 3]) {
      const outcomes = attackOutcomes(log(id));
      // What a sandboxed experiment may do: write its own worktree (cleaned before the next run) and start
      // processes (ended with the trial). A folder whose files are all protected (data/) is read-only as a whole.
      const allowed = ["poison-stale-cache", "nested-repository", "outlive"];
      expect(Object.keys(outcomes).sort()).toEqual(
        [
          "forge-ledger",
          "move-branch-file",
          "move-branch-git",
          "install-hook",
          "install-fsmonitor",
          "index-flags",
          "change-protected",
          "replace-git-link",
          "write-checkout",
          "change-checkout",
          "network",
          "poison-ignored-data",
          ...allowed,
        ].sort(),
      );
      for (const [attack, outcome] of Object.entries(outcomes)) {
        expect(`${attack}: ${outcome}`).toMatch(allowed.includes(attack) ? /: DONE/ : /: failed/);
      }
    }
    // Nothing planted in .git ever ran, the server was never reached, no process of theirs is alive.
    expect(existsSync(join(traces, "hook-ran")) || existsSync(join(traces, "fsmonitor-ran"))).toBe(false);
    expect(server.connections()).toBe(0);
    expect(aliveWithMarker(marker)).toEqual([]);

    // The branch and the ledger are what the harness wrote, and a new start agrees.
    const records = await readLedgerFile(join(directory, ".autoresearch/hostile/ledger.jsonl"));
    expect(records.map((record) => record.id)).toEqual([0, 1, 2, 3, 4]);
    expect(gitSync(directory, "rev-parse", "autoresearch/hostile")).toBe(records[4]?.commit);
    for (const record of records) {
      expect(gitSync(directory, "rev-parse", `refs/autoresearch/hostile/trials/${record.id}`)).toBe(
        record.commit,
      );
    }
    const resumed = await runResearch({ ...options, mutator: new MockMutator({ propose: [] }) });
    expect(resumed.trials).toBe(0);
    expect(gitSync(directory, "show", "autoresearch/hostile:run.js")).toBe(evaluator.trim());

    // The user's checkout and .git (but what the harness itself owns) are byte-identical.
    expect(userView(directory)).toEqual(before);

    // The experiment saw HF_TOKEN, SERVICE_URL and PLAIN_SETTING and printed them: the logs hold none of them.
    expect(log(1)).toContain("[redacted]");
    expect(filesContaining([directory, temporary, traces], needles)).toEqual([]);
  });
});

const cli = resolve("dist/cli.js");

sandboxed("a hostile experiment when the driver is killed", () => {
  it("leaves nothing running after kill -9, and the next start records the trial as interrupted", {
    timeout: 120_000,
  }, async () => {
    const { directory, traces } = hostileRepository();
    const marker = `killmark${random}`;
    const hostile = hostileScript({ tag: "killed", marker, traceDirectory: traces, port: 9, hang: true }, "");
    writeFileSync(
      join(directory, "autoresearch.config.ts"),
      `export default {
  tag: "killed",
  runner: { command: ["node", "run.js"], timeoutMs: 60000 },
  objective: { metric: "score", direction: "minimize" },
  mutator: {
    name: "hostile",
    async propose({ directory }: { directory: string }) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(directory + "/train.js", ${JSON.stringify(hostile)});
      return { type: "edit", description: "hang with survivors" };
    },
  },
  scope: { editable: ["train.js"], protected: ["run.js", "data/**"] },
  sandbox: "required",
};
`,
    );
    gitSync(directory, "add", "-A");
    gitSync(directory, "commit", "-q", "-m", "config");
    const driver = spawn(process.execPath, [cli, "run", "--json"], {
      cwd: directory,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    await new Promise<void>((resolveHanging, reject) => {
      driver.stdout.on("data", (chunk: Buffer) => {
        output += chunk;
        if (output.includes('"line":"hanging"')) resolveHanging();
      });
      driver.once("exit", () => reject(new Error(`the driver exited early: ${output}`)));
    });
    expect(aliveWithMarker(marker).length).toBeGreaterThan(0);
    driver.kill("SIGKILL");
    await new Promise((resolveExit) => driver.once("exit", resolveExit));
    // The sandbox dies with its driver: --die-with-parent ends its PID namespace, every process in it included.
    for (let wait = 0; wait < 50 && aliveWithMarker(marker).length > 0; wait++) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
    expect(aliveWithMarker(marker)).toEqual([]);

    const restart = spawnSync(process.execPath, [cli, "run", "--max-trials", "2"], {
      cwd: directory,
      encoding: "utf8",
    });
    expect(restart.status, restart.stderr).toBe(0);
    const records = await readLedgerFile(join(directory, ".autoresearch/killed/ledger.jsonl"));
    expect(records.map((record) => record.status)).toEqual(["keep", "interrupted"]);
  });
});
