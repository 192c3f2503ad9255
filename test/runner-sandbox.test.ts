import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCommandRunner } from "../src/index.js";
import { detectBubblewrap } from "../src/sandbox/bubblewrap.js";
import type { SandboxPolicy } from "../src/spec/sandbox.js";
import { aliveWithMarker, scratchDirectory } from "./helpers/hostile.js";

const support = await detectBubblewrap();
const directory = scratchDirectory("autoresearch-runner-sandbox-");
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const policy: SandboxPolicy = {
  isolation: "bubblewrap",
  bubblewrap: support.available ? support.program : "bwrap",
  mounts: [{ path: directory, access: "writable" }],
  network: false,
  environment: ["PATH"],
  devices: [],
};

describe.skipIf(!support.available && !process.env.CI)("the command runner in the sandbox", () => {
  it("on a timeout gives every process inside SIGTERM first, then ends the namespace with whatever ignored it", async () => {
    const marker = `termmark${process.pid}`;
    const runner = createCommandRunner({
      command: [
        "bash",
        "-c",
        `trap 'echo main got TERM; exit 0' TERM
setsid bash -c 'trap "" TERM; exec -a ${marker} sleep 600' &
(exec -a ${marker}-polite bash -c 'trap "echo child got TERM; exit 0" TERM; sleep 600 & wait') &
echo started; while true; do sleep 0.1; done`,
      ],
      timeoutMs: 1500,
      killGraceMs: 1000,
    });
    const result = await runner.run({
      directory,
      trial: 1,
      logFile: join(directory, "run.log"),
      env: {},
      abortSignal: new AbortController().signal,
      sandbox: policy,
    });
    expect(result.timedOut).toBe(true);
    const log = readFileSync(join(directory, "run.log"), "utf8");
    expect(log).toContain("main got TERM");
    expect(log).toContain("child got TERM");
    expect(aliveWithMarker(marker)).toEqual([]);
  });

  it("runs with the policy's environment only, and says it applies the sandbox", async () => {
    const runner = createCommandRunner({ command: ["env"], env: { FROM_RUNNER: "yes" } });
    expect(runner.appliesSandbox).toBe(true);
    process.env.AUTORESEARCH_TEST_NOT_ALLOWED = "driver-only";
    try {
      await runner.run({
        directory,
        trial: 2,
        logFile: join(directory, "env.log"),
        env: { FROM_RESEARCH: "yes" },
        abortSignal: new AbortController().signal,
        sandbox: { ...policy, environment: ["PATH"] },
      });
    } finally {
      delete process.env.AUTORESEARCH_TEST_NOT_ALLOWED;
    }
    const names = readFileSync(join(directory, "env.log"), "utf8")
      .trim()
      .split("\n")
      .map((line) => line.split("=")[0])
      .sort();
    expect(names).toEqual(["AUTORESEARCH_RUN_ID", "FROM_RESEARCH", "FROM_RUNNER", "PATH", "PWD", "TMPDIR"]);
  });
});
