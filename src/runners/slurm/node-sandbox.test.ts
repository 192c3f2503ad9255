import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { sandboxWrapper } from "./node-sandbox.js";

describe("the sandbox on a compute node", () => {
  it("keeps the job's own allowlisted variables (its GPUs), the research's values, and nothing else", () => {
    const wrap = sandboxWrapper({
      isolation: "none",
      mounts: [],
      network: false,
      environment: ["PATH", "CUDA_*", "HF_TOKEN"],
      devices: [],
    });
    const argv = wrap(["sh", "-c", "env | sort"], {
      directory: "/",
      env: { AUTORESEARCH_TRIAL: "4", CUDA_VISIBLE_DEVICES: "7" },
    });
    const [file, ...args] = argv;
    // What the job's environment holds on the node: Slurm's GPU choice, and what sbatch passed from the driver.
    const nodeEnvironment = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      CUDA_VISIBLE_DEVICES: "2,3",
      CUDA_API_KEY: "sentinel-wildcard-secret",
      HF_TOKEN: "hf_listed",
      SLURM_JOB_ID: "41",
      OPENAI_API_KEY: "sentinel-driver-key",
      HOME: "/home/driver",
    };
    const output = execFileSync(file as string, args, { env: nodeEnvironment, encoding: "utf8" });
    const seen = Object.fromEntries(
      output
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    // The research's value wins over the node's; the node's allowlisted ones pass; secrets only by exact name.
    expect(seen).toMatchObject({
      AUTORESEARCH_TRIAL: "4",
      CUDA_VISIBLE_DEVICES: "7",
      HF_TOKEN: "hf_listed",
      SLURM_JOB_ID: "41",
    });
    expect(seen.PATH).toBe(nodeEnvironment.PATH);
    expect(seen).not.toHaveProperty("OPENAI_API_KEY");
    expect(seen).not.toHaveProperty("CUDA_API_KEY");
    expect(seen).not.toHaveProperty("HOME");
  });

  it("passes the job's CUDA_VISIBLE_DEVICES when the research sets none", () => {
    const wrap = sandboxWrapper({
      isolation: "none",
      mounts: [],
      network: false,
      environment: ["CUDA_*"],
      devices: [],
    });
    const [file, ...args] = wrap(["sh", "-c", 'printf %s "$CUDA_VISIBLE_DEVICES"'], {
      directory: "/",
      env: {},
    });
    expect(
      execFileSync(file as string, args, {
        env: { PATH: process.env.PATH, CUDA_VISIBLE_DEVICES: "5" },
        encoding: "utf8",
      }),
    ).toBe("5");
  });
});
