import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRepository } from "./repository.js";

/**
 * What the end-to-end tests of the real coding-agent CLIs share: where scripts/install-agent-clis.sh put each
 * CLI, a research repository for one edit, a home folder for the agent, and a look at /proc for processes the
 * agent left behind.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface InstalledAgentCli {
  preset: string;
  packageName: string;
  version: string;
  /** The folder holding the program, to put first on the agent's PATH. */
  binDirectory: string;
  installed: boolean;
}

/** The pinned CLIs, as `scripts/install-agent-clis.sh list` reports them. */
export function listAgentClis(): InstalledAgentCli[] {
  const output = execFileSync("bash", [join(root, "scripts/install-agent-clis.sh"), "list"], {
    encoding: "utf8",
  });
  return output
    .trim()
    .split("\n")
    .map((line) => {
      const [preset = "", packageName = "", version = "", program = "", state = ""] = line.split(" ");
      return {
        preset,
        packageName,
        version,
        binDirectory: dirname(program),
        installed: state === "installed",
      };
    });
}

/**
 * The installed CLI of `preset`. Outside CI a missing one skips its tests with a notice; under CI it is an
 * error, since CI installs them first: the tests must never be skipped silently there.
 */
export function findAgentCli(preset: string): { cli: InstalledAgentCli | undefined; skipReason?: string } {
  const cli = listAgentClis().find((entry) => entry.preset === preset);
  if (!cli) throw new Error(`scripts/install-agent-clis.sh pins no CLI for the preset \`${preset}\``);
  if (cli.installed) return { cli };
  const message = `${cli.packageName}@${cli.version} is not installed (run scripts/install-agent-clis.sh)`;
  if (process.env.CI) throw new Error(`${message}: CI must run the agent CLI tests.`);
  console.warn(`Agent CLI tests skipped: ${message}.`);
  return { cli: undefined, skipReason: message };
}

/** The research repository: `params.json` holds x, `run.js` prints `score: x * 10`. */
export function createAgentRepository(): string {
  return createRepository(
    {
      "params.json": '{"x": 1}\n',
      "run.js":
        'const { x } = JSON.parse(require("node:fs").readFileSync("params.json", "utf8"));\nconsole.log("score: " + x * 10);\n',
      "package.json": '{ "type": "commonjs" }\n',
      ".gitignore": ".autoresearch/\n",
    },
    { prefix: "agent-cli-" },
  );
}

/**
 * A fresh home folder for the agent, outside the temporary folder (Codex refuses to put its helpers under it),
 * so that the tests neither read nor write the user's own agent configuration.
 */
export function createAgentHome(): string {
  const home = join(homedir(), ".cache", "autoresearch", "agent-test-homes", randomUUID());
  mkdirSync(home, { recursive: true });
  return home;
}

export function removeAgentHome(home: string): void {
  rmSync(home, { recursive: true, force: true });
}

/** The pids of live processes whose environment holds `name=value`. */
export function processesWithVariable(name: string, value: string): number[] {
  const needle = Buffer.from(`${name}=${value}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
      if (state === "Z" || state === "X") continue;
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** The value of `"x": N` in a file's text as an agent read it back, for scripts that raise it by one. */
export function readX(text: string): number | undefined {
  const match = /\\?"x\\?":\s*(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** A large, recognisable text: `size` characters ending in `marker`. */
export function largeText(size: number, marker: string): string {
  const line = "Background note: nothing in this paragraph changes the task.\n";
  return `${line.repeat(Math.ceil(size / line.length)).slice(0, size - marker.length - 1)}\n${marker}`;
}
