import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readLedgerFile } from "../src/index.js";
import { createRandom } from "../src/random.js";
import { createRepository, gitSync } from "./helpers/repository.js";

const cli = resolve("dist/cli.js");
const kills = Number(process.env.AUTORESEARCH_FAULT_KILLS ?? 30);

function aliveWithMarker(marker: string): string[] {
  const output = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
  return output.split("\n").filter((line) => line.includes(marker) && !line.includes("ps -eo"));
}

const experiment = `
const { spawn } = require("node:child_process");
const { readFileSync } = require("node:fs");
const marker = process.argv[2];
// A grandchild that would outlive a careless driver.
spawn("bash", ["-c", "exec -a " + marker + "-grandchild sleep 60"], { stdio: "ignore" });
const value = Number(readFileSync("value.txt", "utf8"));
const score = (value * 7919) % 101;
setTimeout(() => { console.log("score: " + score); process.exit(0); }, 50 + (value * 37) % 300);
`;

// With several slots, each trial edits one of four files (by its number), so trials running at once mostly
// touch different files: keeps land while others run, and their changes are measured again on top.
const config = (marker: string, slots: number) => `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
export default {
  tag: "fault",
  slots: ${slots},
  runner: { command: ["node", "experiment.js", "${marker}"], timeoutMs: 20000, killGraceMs: 500 },
  objective: { metric: "score", direction: "maximize" },
  mutator: {
    name: "counter",
    async propose({ directory, trial }: { directory: string; trial: number }) {
      const file = ${slots} === 1 ? "value.txt" : "value" + (trial % 4) + ".txt";
      writeFileSync(join(directory, file), String(trial) + "\\n");
      return { type: "edit", description: file + " " + trial };
    },
  },
  scope: { editable: ["value*.txt"], protected: ["experiment.js"] },
};
`;

const slottedExperiment = experiment.replace(
  'const value = Number(readFileSync("value.txt", "utf8"));',
  'const value = [0, 1, 2, 3].reduce((sum, index) => sum + Number(readFileSync("value" + index + ".txt", "utf8")), 0);',
);

describe.each([
  [1, kills],
  [4, Math.ceil(kills / 2)],
])("the driver of %i slot(s) killed with SIGKILL at random instants", (slots, kills) => {
  it(`leaves a consistent ledger and git state after each of ${kills} kills`, async () => {
    const marker = `faultmark${process.pid}x${Date.now()}`;
    const files: Record<string, string> =
      slots === 1
        ? { "value.txt": "0\n", "experiment.js": experiment }
        : {
            "value0.txt": "0\n",
            "value1.txt": "0\n",
            "value2.txt": "0\n",
            "value3.txt": "0\n",
            "experiment.js": slottedExperiment,
          };
    const directory = createRepository({ ...files, "autoresearch.config.ts": config(marker, slots) });
    const ledgerFile = join(directory, ".autoresearch/fault/ledger.jsonl");
    const seeds: number[] = [];
    for (let kill = 0; kill < kills; kill++) {
      const seed = 1000 + kill;
      seeds.push(seed);
      // Kill at a random instant after the driver is up: proposing, committing, running, recording, moving.
      const wait = Math.floor(createRandom(seed)() * 1500);
      const driver = spawn(process.execPath, [cli, "run", "--max-trials", "100000", "--json"], {
        cwd: directory,
        stdio: ["ignore", "pipe", "ignore"],
      });
      await new Promise((resolveUp) => driver.stdout.once("data", resolveUp));
      driver.stdout.resume();
      await new Promise((resolveWait) => setTimeout(resolveWait, wait));
      driver.kill("SIGKILL");
      await new Promise((resolveExit) => driver.once("exit", resolveExit));

      // Restart: a driver that recovers and stops before starting anything new.
      const restart = spawnSync(process.execPath, [cli, "run", "--max-trials", "1"], {
        cwd: directory,
        encoding: "utf8",
      });
      const context = `kill ${kill} (seed ${seed}, after ${wait} ms): ${restart.stderr}`;
      expect(restart.status, context).toBe(0);

      const records = await readLedgerFile(ledgerFile);
      expect(readFileSync(ledgerFile, "utf8").endsWith("\n"), context).toBe(true);
      const ids = records.map((record) => record.id);
      expect(new Set(ids).size, context).toBe(ids.length);
      // One slot records in trial order; several record in the order trials end.
      if (slots === 1) expect(ids, context).toEqual([...ids].sort((a, b) => a - b));
      const refs = gitSync(
        directory,
        "for-each-ref",
        "--format=%(refname)",
        "refs/autoresearch/fault/trials/",
      )
        .split("\n")
        .filter(Boolean)
        .map((ref) => Number(ref.split("/").pop()));
      for (const ref of refs) expect(ids, `${context}: trial ref ${ref} has no record`).toContain(ref);
      const kept = records.filter((record) => record.status === "keep").at(-1);
      if (kept?.commit)
        expect(gitSync(directory, "rev-parse", "autoresearch/fault"), context).toBe(kept.commit);
      execFileSync("git", ["fsck", "--no-dangling", "--no-progress"], { cwd: directory, stdio: "pipe" });
      const markers = join(directory, ".autoresearch/fault/in-flight");
      expect(existsSync(markers) ? readdirSync(markers) : [], context).toEqual([]);
      expect(aliveWithMarker(marker), context).toEqual([]);
    }
    const records = await readLedgerFile(ledgerFile);
    console.log(
      `fault injection, ${slots} slot(s): ${kills} kills, seeds ${seeds[0]}..${seeds.at(-1)}, ${records.length} records ` +
        `(${records.filter((record) => record.status === "interrupted").length} interrupted, ` +
        `${records.filter((record) => record.status === "keep").length} kept, ` +
        `${records.filter((record) => record.kind === "rebase").length} rebased)`,
    );
    expect(records.length).toBeGreaterThan(kills / 2);
    writeFileSync(join(directory, "done"), "");
  }, 900_000);
});
