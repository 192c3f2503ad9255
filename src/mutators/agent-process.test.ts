import { describe, expect, it } from "vitest";
import { agentRunIdVariable, runAgentProcess } from "./agent-process.js";

const signal = () => new AbortController().signal;
const env = { PATH: process.env.PATH ?? "" };
const node = (script: string) => [process.execPath, "-e", script];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("runAgentProcess", () => {
  it("gives the process exactly the environment it was handed, plus its run id", async () => {
    const result = await runAgentProcess(
      { argv: node("console.log(Object.keys(process.env).sort().join(','))"), cwd: process.cwd(), env },
      { abortSignal: signal(), timeoutMs: 30_000, killGraceMs: 100 },
    );
    expect(result.stdout.trim()).toBe(["PATH", agentRunIdVariable].sort().join(","));
    expect(result.exitCode).toBe(0);
  });

  it("writes a large standard input whole", async () => {
    const input = "x".repeat(1_000_000);
    const result = await runAgentProcess(
      {
        argv: node(
          "let n = 0; process.stdin.on('data', (c) => (n += c.length)).on('end', () => console.log(n));",
        ),
        cwd: process.cwd(),
        env,
        stdin: input,
      },
      { abortSignal: signal(), timeoutMs: 30_000, killGraceMs: 100 },
    );
    expect(result.stdout.trim()).toBe("1000000");
  });

  it("stops the process when a line says so, with that reason", async () => {
    const lines: string[] = [];
    const result = await runAgentProcess(
      {
        argv: node("console.log('working'); console.log('FATAL'); setInterval(() => {}, 1000);"),
        cwd: process.cwd(),
        env,
      },
      {
        abortSignal: signal(),
        timeoutMs: 30_000,
        killGraceMs: 100,
        onLine(line) {
          lines.push(line);
          return line === "FATAL" ? "it said FATAL" : undefined;
        },
      },
    );
    expect(lines).toEqual(["working", "FATAL"]);
    expect(result).toMatchObject({ stoppedBecause: "it said FATAL", timedOut: false, signal: "SIGTERM" });
  });

  it("stops a process whose output stays silent past the limit, and not one that keeps talking", async () => {
    const silent = await runAgentProcess(
      { argv: node("setInterval(() => {}, 1000);"), cwd: process.cwd(), env },
      {
        abortSignal: signal(),
        timeoutMs: 30_000,
        killGraceMs: 100,
        silenceLimit: { ms: 300, reason: "silent" },
      },
    );
    expect(silent.stoppedBecause).toBe("silent");
    const talking = await runAgentProcess(
      {
        argv: node(
          "let n = 0; const t = setInterval(() => { console.log(n); if (++n === 8) clearInterval(t); }, 100);",
        ),
        cwd: process.cwd(),
        env,
      },
      {
        abortSignal: signal(),
        timeoutMs: 30_000,
        killGraceMs: 100,
        silenceLimit: { ms: 600, reason: "silent" },
      },
    );
    expect(talking.stoppedBecause).toBeUndefined();
    expect(talking.exitCode).toBe(0);
  });

  it("kills what the process left behind, even in a session of its own", async () => {
    const script = [
      "const { spawn } = require('node:child_process');",
      "const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });",
      "console.log(child.pid); child.unref();",
    ].join("\n");
    const result = await runAgentProcess(
      { argv: node(script), cwd: process.cwd(), env },
      { abortSignal: signal(), timeoutMs: 30_000, killGraceMs: 100 },
    );
    const leftover = Number(result.stdout.trim());
    expect(leftover).toBeGreaterThan(0);
    for (let attempt = 0; attempt < 100 && alive(leftover); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(alive(leftover)).toBe(false);
  });

  it("reports a program that cannot be started", async () => {
    const result = await runAgentProcess(
      { argv: ["no-such-agent-program"], cwd: process.cwd(), env },
      { abortSignal: signal(), timeoutMs: 30_000, killGraceMs: 100 },
    );
    expect(result.startError?.code).toBe("ENOENT");
    expect(result.exitCode).toBeNull();
  });
});
