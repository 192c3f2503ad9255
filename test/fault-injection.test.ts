import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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

const config = (marker: string) => `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
export default {
  tag: "fault",
  runner: { command: ["node", "experiment.js", "${marker}"], timeoutMs: 20000, killGraceMs: 500 },
  objective: { metric: "score", direction: "maximize" },
  mutator: {
    name: "counter",
    async propose({ directory, trial }: { directory: string; trial: number }) {
      writeFileSync(join(directory, "value.txt"), String(trial) + "\\n");
      return { type: "edit", description: "value " + trial };
    },
  },
  scope: { editable: ["value.txt"], protected: ["experiment.js"] },
};
`;

describe("the driver killed with SIGKILL at random instants", () => {
  it(`leaves a consistent ledger and git state after each of ${kills} kills`, async () => {
    const marker = `faultmark${process.pid}x${Date.now()}`;
    const directory = createRepository({
      "value.txt": "0\n",
      "experiment.js": experiment,
      "autoresearch.config.ts": config(marker),
    });
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
      expect(ids, context).toEqual([...ids].sort((a, b) => a - b));
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
      expect(existsSync(join(directory, ".autoresearch/fault/trial.json")), context).toBe(false);
      expect(aliveWithMarker(marker), context).toEqual([]);
    }
    const records = await readLedgerFile(ledgerFile);
    console.log(
      `fault injection: ${kills} kills, seeds ${seeds[0]}..${seeds.at(-1)}, ${records.length} records ` +
        `(${records.filter((record) => record.status === "interrupted").length} interrupted, ` +
        `${records.filter((record) => record.status === "keep").length} kept)`,
    );
    expect(records.length).toBeGreaterThan(kills / 2);
    writeFileSync(join(directory, "done"), "");
  }, 900_000);
});
