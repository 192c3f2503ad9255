import { spawnSync } from "node:child_process";
import { describe, it } from "vitest";

/** Why Slurm cannot be used here, or undefined when a node answers and takes jobs. */
function slurmMissing(): string | undefined {
  const sinfo = spawnSync("sinfo", ["--noheader", "--format=%T"], { encoding: "utf8", timeout: 15_000 });
  if (sinfo.error !== undefined) return `sinfo cannot run (${sinfo.error.message})`;
  if (sinfo.status !== 0) return `sinfo failed: ${sinfo.stderr.trim()}`;
  if (!/\b(idle|mixed|allocated|completing)/.test(sinfo.stdout)) {
    return `no Slurm node takes jobs (sinfo says: ${sinfo.stdout.trim() || "nothing"})`;
  }
  return undefined;
}

let missing: string | undefined | null = null;

/**
 * `describe` for tests that need a running Slurm (scripts/slurm-up.sh starts one on localhost). Without one they
 * are skipped with a notice, except under CI, where a missing Slurm is a failure: these tests must never be
 * skipped silently.
 */
export function describeWithSlurm(name: string, body: () => void): void {
  if (missing === null) missing = slurmMissing();
  if (missing === undefined) {
    describe(name, body);
    return;
  }
  const why = missing;
  if (process.env.CI) {
    describe.skip(name, body);
    describe(`${name}: Slurm`, () => {
      it("is running (CI must run the Slurm tests: start it with scripts/slurm-up.sh)", () => {
        throw new Error(`Slurm is not usable here: ${why}`);
      });
    });
    return;
  }
  console.warn(`Slurm tests skipped ("${name}"): ${why}. Start a local Slurm with scripts/slurm-up.sh.`);
  describe.skip(name, body);
}
