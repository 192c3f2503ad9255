import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isProcessGroupAlive, killProcessGroup } from "./process-group.js";

describe("killProcessGroup and isProcessGroupAlive", () => {
  it("signal a whole group, and report a gone group without throwing", async () => {
    const child = spawn("bash", ["-c", "sleep 30 & sleep 30"], { detached: true, stdio: "ignore" });
    const pid = child.pid;
    if (pid === undefined) throw new Error("bash did not start");
    const exited = once(child, "exit");
    expect(isProcessGroupAlive(pid)).toBe(true);
    expect(killProcessGroup(pid, "SIGTERM")).toBe(true);
    const [, signal] = await exited;
    expect(signal).toBe("SIGTERM");
    await expect.poll(() => isProcessGroupAlive(pid)).toBe(false);
  });

  it("ignore a group that is gone", async () => {
    const child = spawn("true", [], { detached: true, stdio: "ignore" });
    const pid = child.pid;
    if (pid === undefined) throw new Error("true did not start");
    await once(child, "exit");
    expect(killProcessGroup(pid)).toBe(false);
    expect(isProcessGroupAlive(pid)).toBe(false);
  });

  it("refuse pids that would address every process or the caller's own group", () => {
    expect(killProcessGroup(0)).toBe(false);
    expect(killProcessGroup(1)).toBe(false);
    expect(killProcessGroup(-5)).toBe(false);
    expect(isProcessGroupAlive(0)).toBe(false);
  });
});
