import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole foreground process group, at many different moments of a
 * CLI run, git work included. Every time the CLI must exit 130 and leave a state the next start resumes from.
 */

const cli = resolve("dist/cli.js");
const realGit = spawnSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).stdout.trim();

// `git` on PATH for the CLI: marks each running git command with a file, and takes a little longer, so that a
// signal sent while a mark exists lands during git work.
function gitShim(): { path: string; marks: string } {
  const folder = mkdtempSync(join(tmpdir(), "autoresearch-git-shim-"));
  const marks = join(folder, "marks");
  mkdirSync(join(folder, "bin"));
  mkdirSync(marks);
  writeFileSync(
    join(folder, "bin", "git"),
    `#!/bin/sh\nmark="${marks}/$$"\n: > "$mark"\nsleep 0.02\n"${realGit}" "$@"\nstatus=$?\nrm -f "$mark"\nexit $status\n`,
  );
  chmodSync(join(folder, "bin", "git"), 0o755);
  return { path: `${join(folder, "bin")}:${process.env.PATH}`, marks };
}

const experiment = `
const fs = require("node:fs");
const { x } = JSON.parse(fs.readFileSync("params.json", "utf8"));
console.log("started " + x);
setTimeout(() => console.log("score: " + Math.abs(x - 700)), 150);
`;

function configText(runner: string): string {
  return `export default {
    tag: "int",
    runner: { command: ${JSON.stringify(runner)}, timeoutMs: 60_000, killGraceMs: 5_000 },
    objective: { metric: "score", direction: "minimize" },
    mutator: { searchSpace: { file: "params.json", space: { x: { type: "int", min: 0, max: 100000 } } } },
    scope: { editable: ["params.json"], protected: ["experiment.js"] },
  };`;
}

function researchRepository(runner = "node experiment.js"): string {
  return createRepository({
    "params.json": '{ "x": 1 }\n',
    "experiment.js": experiment,
    "autoresearch.config.ts": configText(runner),
  });
}

interface Started {
  child: ChildProcess;
  lines: string[];
  stderr: string[];
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** The CLI as a terminal starts it: the leader of its own process group. */
function startCli(directory: string, args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: directory,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, NO_COLOR: "1" },
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    lines.push(...complete);
  });
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, lines, stderr, exited };
}

/** Resolves once `check` holds, checking after every chunk of output and every few milliseconds. */
async function until(started: Started, check: () => boolean, what: string): Promise<void> {
  let done = false;
  const exited = started.exited.then(() => {
    if (!done)
      throw new Error(`the CLI exited before ${what}: ${started.lines.join("\n")}${started.stderr.join("")}`);
  });
  while (!check()) {
    await Promise.race([exited, new Promise((resolveLater) => setTimeout(resolveLater, 3))]);
  }
  done = true;
}

/** What the next start relies on after a graceful stop: checks that fail with a message saying what is wrong. */
async function expectConsistent(directory: string, started: Started): Promise<void> {
  const state = join(directory, ".autoresearch", "int");
  const leftovers = existsSync(state)
    ? readdirSync(state).filter((name) => /lock|trial\.json|\.tmp$/.test(name))
    : [];
  expect(leftovers, "lock, in-flight marker or temporary files left").toEqual([]);
  const records = await readLedgerFile(join(state, "ledger.jsonl"));
  expect(records.map((record) => record.id)).toEqual(records.map((_, index) => index));
  // Every trial the CLI announced is in the ledger, with its outcome or as interrupted.
  const announced = started.lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { type: string; trial?: number })
    .filter((event) => event.type === "trial-start")
    .map((event) => event.trial);
  for (const id of announced)
    expect(
      records.some((record) => record.id === id),
      `trial ${id}`,
    ).toBe(true);
  const kept = records.filter((record) => record.status === "keep");
  const expectedHead = kept.at(-1)?.commit ?? gitSync(directory, "rev-parse", "main");
  if (records.length > 0) expect(gitSync(directory, "rev-parse", "autoresearch/int")).toBe(expectedHead);
  expect(gitSync(directory, "status", "--porcelain")).toBe("");
}

describe("Ctrl-C sent to the CLI's whole process group", () => {
  it("exits 130 with a consistent state at every moment, git work included", {
    timeout: 600_000,
  }, async () => {
    const directory = researchRepository();
    const shim = gitShim();
    const env = { PATH: shim.path };
    const moments: { kind: string; at: number }[] = [
      ...[0, 150, 400, 800].map((at) => ({ kind: "after start (ms)", at })),
      ...[1, 2, 3, 4, 5, 6, 7, 9, 11, 14].map((at) => ({ kind: "after event", at })),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 10, 13].map((at) => ({ kind: "git after event", at })),
    ];
    const outcomes = new Map<string, number>();
    let duringGit = 0;
    for (const moment of moments) {
      const started = startCli(directory, ["run", "--json"], env);
      if (moment.kind === "after start (ms)") await new Promise((wait) => setTimeout(wait, moment.at));
      else await until(started, () => started.lines.length >= moment.at, `event ${moment.at}`);
      if (moment.kind === "git after event") {
        await until(started, () => readdirSync(shim.marks).length > 0, "a git command");
      }
      const gitRunning = readdirSync(shim.marks).length > 0;
      process.kill(-(started.child.pid as number), "SIGINT");
      const [code, signal] = await started.exited;
      const outcome = `${moment.kind} → ${signal ?? code}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (gitRunning) duringGit++;
      // A signal that lands while Node itself is still starting, before any code of the CLI runs, ends the process
      // as SIGINT does, which a shell reports as 130; the CLI has printed and started nothing then.
      const beforeCode = signal === "SIGINT" && started.lines.length === 0 && started.stderr.length === 0;
      expect(
        beforeCode || code === 130,
        `${moment.kind} ${moment.at}: ${signal ?? code} ${started.stderr.join("")}`,
      ).toBe(true);
      await expectConsistent(directory, started);
    }
    console.log(
      `SIGINT outcomes over ${moments.length} runs (${duringGit} while git ran):\n${[...outcomes]
        .map(([outcome, count]) => `  ${outcome}: ${count}`)
        .join("\n")}`,
    );
    expect(duringGit).toBeGreaterThan(0);

    // After all that, the research goes on: one more start runs to its end.
    const before = await readLedgerFile(join(directory, ".autoresearch/int/ledger.jsonl"));
    const last = startCli(directory, ["run", "--json", "--max-trials", String(before.length + 2)], env);
    const [code] = await last.exited;
    expect(code, last.stderr.join("")).toBe(0);
    const records = await readLedgerFile(join(directory, ".autoresearch/int/ledger.jsonl"));
    expect(records.map((record) => record.id)).toEqual(records.map((_, index) => index));
    expect(records.filter((record) => record.kind === "baseline" && record.status === "keep")).toHaveLength(
      1,
    );
    expect(records.some((record) => record.status === "interrupted")).toBe(true);
  });

  it("exits at once on a second Ctrl-C, and the next start cleans up what it left", {
    timeout: 120_000,
  }, async () => {
    // The experiment ignores SIGTERM, so the first Ctrl-C waits for it; the second one does not wait.
    const directory = researchRepository(
      "node -e \"process.on('SIGTERM', () => {}); console.log('waiting ' + process.pid); setInterval(() => {}, 1000)\"",
    );
    const started = startCli(directory, ["run"], {});
    const marker = join(directory, ".autoresearch", "int", "in-flight", "0.json");
    // The experiment has started once its process group is in the in-flight marker.
    await until(
      started,
      () => existsSync(marker) && /"processGroups":\[\d/.test(readFileSync(marker, "utf8")),
      "the experiment's start",
    );
    const pgid = started.child.pid as number;
    process.kill(-pgid, "SIGINT");
    await until(started, () => started.stderr.join("").includes("stopping"), "the first Ctrl-C's message");
    process.kill(-pgid, "SIGINT");
    const [code] = await started.exited;
    expect(code).toBe(130);
    const state = join(directory, ".autoresearch", "int");
    // Left behind: the lock of a dead driver and the marker of its trial; and, as a write cut short would, a
    // temporary file.
    expect(existsSync(join(state, "lock"))).toBe(true);
    expect(existsSync(join(state, "in-flight", "0.json"))).toBe(true);
    writeFileSync(join(state, "in-flight", "0.json.99999.1.tmp"), "{");

    writeFileSync(join(directory, "autoresearch.config.ts"), configText("echo score: 3"));
    const resumed = spawnSync(process.execPath, [cli, "run", "--max-trials", "2"], {
      cwd: directory,
      encoding: "utf8",
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readdirSync(state).filter((name) => /lock|\.tmp$/.test(name))).toEqual([]);
    expect(readdirSync(join(state, "in-flight"))).toEqual([]);
    const records = await readLedgerFile(join(state, "ledger.jsonl"));
    expect(records.map((record) => `${record.id}:${record.kind}:${record.status}`)).toEqual([
      "0:baseline:interrupted",
      "1:baseline:keep",
    ]);
  });
});
