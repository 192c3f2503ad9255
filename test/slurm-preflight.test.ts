import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { ConfigurationError, createSlurmRunner, type TrialRecord } from "../src/index.js";
import { createTrialRecord } from "../src/testing/index.js";
import { describeWithSlurm } from "./helpers/slurm.js";

const signal = () => new AbortController().signal;

/** Whether this machine lets us give a process a private mount (root, or user namespaces). */
function canUnshareMounts(): boolean {
  const probe = spawnSync("unshare", ["--mount", "--propagation", "private", "true"], { timeout: 10_000 });
  return probe.status === 0;
}

describeWithSlurm("the Slurm runner's preflight", () => {
  it("finds sbatch and the controller, and sees the directory from a compute node", async () => {
    const directory = mkdtempSync(join(tmpdir(), "autoresearch-slurm-preflight-"));
    const runner = createSlurmRunner({ command: "true", pollIntervalMs: 200 });
    const result = await runner.preflight({ directory, abortSignal: signal() });
    expect(result.warnings).toEqual([]);
    expect(result.passed).toEqual([
      expect.stringMatching(/^sbatch found \(slurm[- ]/),
      "the Slurm controller answers",
      expect.stringMatching(
        new RegExp(`^${directory} is visible from the compute node \\S+ \\(Slurm job \\d+\\)$`),
      ),
    ]);
    // The probe cleaned up after itself.
    expect(readdirSync(directory)).toEqual([]);
  });

  it("submits no test job for a research one of whose jobs completed already", async () => {
    const directory = mkdtempSync(join(tmpdir(), "autoresearch-slurm-preflight-"));
    const runner = createSlurmRunner({ command: "true", pollIntervalMs: 200 });
    const baseline = createTrialRecord({ id: 0 });
    const history = [
      { ...baseline, run: { ...baseline.run, job: { id: "77", state: "COMPLETED", nodes: "gpu07" } } },
    ] as TrialRecord[];
    const result = await runner.preflight({ directory, abortSignal: signal(), history });
    // The job's record is the proof; no test job "is visible from the compute node" line.
    expect(result.passed).toEqual([
      expect.stringMatching(/^sbatch found/),
      "the Slurm controller answers",
      "job 77 of trial 0 completed on gpu07: the compute nodes see the research's folder",
    ]);
  });

  it("says where to look when sbatch is not there", async () => {
    const runner = createSlurmRunner({ command: "true", binDirectory: "/nonexistent/slurm/bin" });
    const error = await runner
      .preflight({ directory: tmpdir(), abortSignal: signal() })
      .catch((caught) => caught);
    expect(ConfigurationError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      "Slurm is not usable: `/nonexistent/slurm/bin/sbatch` was not found: run on a machine that can submit " +
        "Slurm jobs (a login node), or set `binDirectory`",
    );
  });

  it("explains the shared file system when the compute node does not see the repository", (context) => {
    if (!canUnshareMounts()) {
      console.warn("Skipped: this machine cannot give a process a private mount (unshare --mount).");
      context.skip();
    }
    // The driver runs with a private file system mounted over the repository's folder: what it writes there, the
    // compute node (slurmd, outside that mount namespace) does not see, as with a repository on a local disk.
    const scratch = mkdtempSync(join(tmpdir(), "autoresearch-slurm-unshared-"));
    const repository = join(scratch, "repository");
    mkdirSync(repository);
    const script = join(scratch, "preflight.mts");
    writeFileSync(
      script,
      `import { createSlurmRunner } from ${JSON.stringify(resolve("src/index.ts"))};
const runner = createSlurmRunner({ command: "true", pollIntervalMs: 200 });
try {
  const result = await runner.preflight({ directory: process.argv[2], abortSignal: new AbortController().signal });
  console.log(JSON.stringify({ result }));
} catch (error) {
  console.log(JSON.stringify({ name: error.name, message: error.message }));
}
`,
    );
    const inside = `mount -t tmpfs tmpfs "$1" && exec "$2" --import tsx "$3" "$1"`;
    const child = spawnSync(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "bash",
        "-c",
        inside,
        "bash",
        repository,
        process.execPath,
        script,
      ],
      { cwd: process.cwd(), encoding: "utf8", timeout: 120_000 },
    );
    expect(child.status, child.stderr).toBe(0);
    const outcome = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}");
    expect(outcome.name).toBe("WorkspaceError");
    expect(outcome.message).toMatch(
      new RegExp(
        `^${repository} is not visible from \\S+: a test job \\(Slurm job \\d+, FAILED\\) did not find there`,
      ),
    );
    expect(outcome.message).toContain(
      "must be on a file system that the login node and the compute nodes share",
    );
  });
});
