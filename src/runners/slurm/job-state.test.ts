import { describe, expect, it } from "vitest";
import {
  describeJobEnd,
  isFinalState,
  isWaitingState,
  parseExitCode,
  parseJobRecord,
  parseSlurmTime,
  signalName,
} from "./job-state.js";

// As printed by `scontrol show job -o` of slurm-wlm 22.05 (shortened), with a space in the working directory.
const failedJob =
  "JobId=1 JobName=autoresearch-t-3-0 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 " +
  "JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 ExitCode=3:0 " +
  "RunTime=00:00:02 TimeLimit=UNLIMITED SubmitTime=2026-12-02T10:35:42 StartTime=2026-12-02T10:35:43 " +
  "EndTime=2026-12-02T10:35:45 Partition=main AllocNode:Sid=localhost:18460 NodeList=localhost " +
  "TRES=cpu=1,mem=10847M,node=1,billing=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* Command=(null) " +
  "WorkDir=/tmp/my repo/x StdErr=/tmp/sl/o1.out StdIn=/dev/null StdOut=/tmp/sl/o1.out Power= ";

describe("parseJobRecord", () => {
  it("reads every field of a one-line job record, values with spaces and `=` included", () => {
    const record = parseJobRecord(failedJob);
    expect(record).toMatchObject({
      JobId: "1",
      JobName: "autoresearch-t-3-0",
      JobState: "FAILED",
      Reason: "NonZeroExitCode",
      ExitCode: "3:0",
      NodeList: "localhost",
      TRES: "cpu=1,mem=10847M,node=1,billing=1",
      "AllocNode:Sid": "localhost:18460",
      "CPUs/Task": "1",
      WorkDir: "/tmp/my repo/x",
      Power: "",
    });
  });
});

describe("exit codes, signals and times", () => {
  it("splits Slurm's code:signal and names signals", () => {
    expect(parseExitCode("3:0")).toEqual({ code: 3, signal: 0 });
    expect(parseExitCode("0:15")).toEqual({ code: 0, signal: 15 });
    expect(parseExitCode("")).toBeUndefined();
    expect(signalName(9)).toBe("SIGKILL");
    expect(signalName(15)).toBe("SIGTERM");
  });

  it("reads timestamps and refuses what is not one", () => {
    const start = parseSlurmTime("2026-12-02T10:35:43");
    const end = parseSlurmTime("2026-12-02T10:35:45");
    expect(start).toBeTypeOf("number");
    expect((end as number) - (start as number)).toBe(2000);
    expect(parseSlurmTime("Unknown")).toBeUndefined();
    expect(parseSlurmTime("None")).toBeUndefined();
  });

  it("tells waiting, running and final states apart, whatever the suffix", () => {
    expect(isWaitingState("PENDING")).toBe(true);
    expect(isWaitingState("RUNNING")).toBe(false);
    expect(isFinalState("COMPLETING")).toBe(false);
    expect(isFinalState("CANCELLED by 1000")).toBe(true);
    expect(isFinalState("OUT_OF_MEMORY")).toBe(true);
  });
});

describe("describeJobEnd", () => {
  const base = { jobId: "42", nodes: "gpu07", requested: { time: "10", mem: "16G" } };

  it("reports a completed job as the experiment's own exit", () => {
    expect(describeJobEnd({ ...base, state: "COMPLETED", exit: { code: 0, signal: 0 } })).toEqual({
      exitCode: 0,
      signal: null,
      timedOut: false,
    });
  });

  it("gives every way a job can end badly a kind and a reason naming the job and the node", () => {
    const cases = [
      ["FAILED", { code: 3, signal: 0 }, "failed", /exited with code 3 \(Slurm job 42 FAILED on gpu07\)/],
      ["FAILED", { code: 0, signal: 9 }, "failed", /killed by SIGKILL/],
      ["TIMEOUT", { code: 0, signal: 15 }, "time-limit", /Slurm time limit \(--time=10\)/],
      ["OUT_OF_MEMORY", { code: 0, signal: 125 }, "out-of-memory", /ran out of memory.*--mem=16G/],
      ["NODE_FAIL", { code: 0, signal: 0 }, "node-failure", /node gpu07 failed.*not to blame/],
      ["PREEMPTED", { code: 0, signal: 0 }, "preempted", /preempted on gpu07/],
      ["CANCELLED", { code: 0, signal: 15 }, "cancelled", /cancelled outside the research/],
      ["BOOT_FAIL", undefined, "node-failure", /BOOT_FAIL/],
      ["SPECIAL_EXIT", undefined, "failed", /ended in Slurm state SPECIAL_EXIT/],
    ] as const;
    for (const [state, exit, kind, reason] of cases) {
      const end = describeJobEnd({ ...base, state, exit });
      expect(end.failure?.kind, state).toBe(kind);
      expect(end.failure?.reason, state).toMatch(reason);
      // Whatever the job's own exit code, a job that did not complete never passes for a success.
      expect(end.exitCode, state).not.toBe(0);
    }
    expect(describeJobEnd({ ...base, state: "TIMEOUT", exit: undefined }).timedOut).toBe(true);
    expect(describeJobEnd({ ...base, state: "CANCELLED", exit: { code: 0, signal: 15 } }).signal).toBe(
      "SIGTERM",
    );
  });

  it("says a job failed before the experiment ran when it has no exit code to show", () => {
    const end = describeJobEnd({
      ...base,
      state: "FAILED",
      exit: { code: 0, signal: 0 },
      reason: "JobLaunchFailure",
    });
    expect(end.exitCode).toBeNull();
    expect(end.failure?.reason).toMatch(/before the experiment could report an exit code.*JobLaunchFailure/);
  });
});
