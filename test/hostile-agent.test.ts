import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAgentMutator,
  createCommandRunner,
  createMetricObjective,
  isTrialCount,
  readLedgerFile,
  runResearch,
} from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
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
const sandboxed = describe.skipIf(!support.available && !process.env.CI);

const random = randomBytes(6).toString("hex");
// The driver's credentials: none of them is the agent's business.
const sentinels = {
  AWS_SECRET_ACCESS_KEY: `sentinel-aws-${random}`,
  GH_PAT: `sentinel-ghpat-${random}`,
  DATABASE_URL: `postgres://admin:sentinel-dbpw-${random}@db.internal/app`,
  HF_TOKEN: `sentinel-hf-${random}`,
};
const fileSentinel = `sentinel-awsfile-${random}`;
const needles = [
  sentinels.AWS_SECRET_ACCESS_KEY,
  sentinels.GH_PAT,
  `sentinel-dbpw-${random}`,
  sentinels.HF_TOKEN,
  fileSentinel,
];
// The agent's own key: it may send it to its model, but no record or log of the research may hold it.
const agentKey = `agent-own-key-${random}`;

const evaluator = `
const fs = require("node:fs");
const read = (file) => { try { return JSON.parse(fs.readFileSync(file, "utf8")).score; } catch { return undefined; } };
const poisoned = read("data/override.json") ?? read("cache/score.json");
require("./train.js");
console.log("score: " + (poisoned ?? globalThis.score));
`;

const roots: string[] = [];
const saved: Record<string, string | undefined> = {};
let home: string;
let temporary: string;

beforeAll(() => {
  home = scratchDirectory("autoresearch-agent-home-");
  mkdirSync(join(home, ".aws"));
  writeFileSync(join(home, ".aws", "credentials"), `[default]\naws_secret_access_key = ${fileSentinel}\n`);
  temporary = scratchDirectory("autoresearch-agent-tmp-");
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

sandboxed("a hostile coding agent in the sandbox", () => {
  it("fails at every attack on the harness; its change is run from a clean surface; nothing survives; no driver secret reaches its model", {
    timeout: 120_000,
  }, async () => {
    const directory = scratchDirectory("autoresearch-agent-");
    const traces = scratchDirectory("autoresearch-agent-traces-");
    roots.push(directory, traces);
    const files: Record<string, string> = {
      ".gitignore": "data/*.json\ncache/\n",
      "data/train.txt": "the data\n",
      "run.js": evaluator,
      "train.js": "globalThis.score = 10;\n",
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(directory, file, ".."), { recursive: true });
      writeFileSync(join(directory, file), content);
    }
    gitSync(directory, "init", "-q", "-b", "main");
    gitSync(directory, "add", "-A");
    gitSync(directory, "commit", "-q", "-m", "the experiment");
    const before = {
      checkout: treeFingerprint(directory, (path) => path === ".git" || path === ".autoresearch"),
      git: treeFingerprint(
        directory,
        (path) => path.startsWith(".autoresearch") || !path.startsWith(".git") || isHarnessGitPath(path),
      ),
    };

    const server = await startRecordingServer();
    const marker = `agentmark${random}`;
    // The agent: reads its prompt, tries every attack, "calls its model" with everything it found (its
    // environment, its neighbours', the home folder's credentials, its attack results), then makes its change.
    const agent = join(traces, "agent.js");
    writeFileSync(
      agent,
      `const prompt = require("node:fs").readFileSync(0, "utf8");
const lines = [];
const print = console.log;
console.log = (...parts) => { lines.push(parts.join(" ")); };
${hostileScript(
  { tag: "agent", marker, traceDirectory: traces, port: server.port },
  `const source = require("node:fs").readFileSync("train.js", "utf8");
const score = Number(/score = ([\\d.]+)/.exec(source)[1]);
require("node:fs").writeFileSync("train.js", "globalThis.score = " + (score - 1) + ";\\n");
fetch("http://127.0.0.1:" + CONFIG.port + "/v1/messages", { method: "POST", body: JSON.stringify({ prompt, lines, env: process.env }) })
  .then(() => print("DESCRIPTION: score " + (score - 1) + ", made with " + process.env.ANTHROPIC_API_KEY));`,
)}`,
    );

    let summary: Awaited<ReturnType<typeof runResearch>>;
    try {
      summary = await runResearch({
        directory,
        tag: "agent",
        mutator: createAgentMutator({
          command: [process.execPath, agent],
          instructions: "Lower the score.",
          env: { ANTHROPIC_API_KEY: agentKey },
          timeoutMs: 30_000,
        }),
        runner: createCommandRunner({ command: ["node", "run.js"], timeoutMs: 20_000 }),
        objective: createMetricObjective({ metric: "score", direction: "minimize" }),
        scope: { editable: ["train.js"], protected: ["run.js", "data/**"] },
        stopWhen: isTrialCount(3),
        sandbox: "required",
      });
    } finally {
      await server.close();
    }

    // Each proposal is run on exactly its commit: the agent's poison (ignored files) never reaches a run.
    expect(summary.records.map((record) => [record.status, record.metric])).toEqual([
      ["keep", 10],
      ["keep", 9],
      ["keep", 8],
    ]);
    expect(summary.records.slice(1).map((record) => record.changedFiles)).toEqual([
      ["train.js"],
      ["train.js"],
    ]);
    // Its own key, printed in its description, is redacted from the record.
    expect(summary.records[1]?.description).toBe("score 9, made with [redacted]");

    // It reached its model (the network is on for agents) twice; every attack on the harness failed.
    const calls = server.requests.filter((request) => request.startsWith("POST /v1/messages"));
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      // "<method> <url>\n<headers>\n<body>"
      const body = JSON.parse(call.split("\n").slice(2).join("\n"));
      const outcomes = attackOutcomes((body.lines as string[]).join("\n"));
      // data/ is protected as a whole: read-only for the agent too.
      const allowed = ["poison-stale-cache", "nested-repository", "outlive", "network"];
      expect(Object.keys(outcomes)).toHaveLength(15);
      for (const [attack, outcome] of Object.entries(outcomes)) {
        expect(`${attack}: ${outcome}`).toMatch(allowed.includes(attack) ? /: DONE/ : /: failed/);
      }
      expect(body.env.ANTHROPIC_API_KEY).toBe(agentKey);
      expect(body.prompt).toContain("Lower the score.");
    }
    // None of the driver's secrets was in what it could send.
    expect(server.requests.filter((request) => needles.some((needle) => request.includes(needle)))).toEqual(
      [],
    );

    expect(existsSync(join(traces, "hook-ran")) || existsSync(join(traces, "fsmonitor-ran"))).toBe(false);
    expect(aliveWithMarker(marker)).toEqual([]);
    const records = await readLedgerFile(join(directory, ".autoresearch/agent/ledger.jsonl"));
    expect(records.map((record) => record.id)).toEqual([0, 1, 2]);
    expect(gitSync(directory, "rev-parse", "autoresearch/agent")).toBe(records[2]?.commit);
    for (const record of records) {
      expect(gitSync(directory, "rev-parse", `refs/autoresearch/agent/trials/${record.id}`)).toBe(
        record.commit,
      );
    }
    expect(gitSync(directory, "ls-tree", "-r", "--name-only", "autoresearch/agent")).toBe(
      [".gitignore", "data/train.txt", "run.js", "train.js"].join("\n"),
    );
    expect(treeFingerprint(directory, (path) => path === ".git" || path === ".autoresearch")).toBe(
      before.checkout,
    );
    expect(
      treeFingerprint(
        directory,
        (path) => path.startsWith(".autoresearch") || !path.startsWith(".git") || isHarnessGitPath(path),
      ),
    ).toBe(before.git);
    expect(filesContaining([directory, temporary, traces], [...needles, agentKey])).toEqual([]);
    expect(readFileSync(join(directory, ".autoresearch/agent/ledger.jsonl"), "utf8")).not.toContain(agentKey);
  });
});
