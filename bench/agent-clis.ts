/**
 * How long the real coding-agent CLIs take per proposal against their fake model servers (the same ones as
 * test/agent-cli-*.test.ts): a proposal that makes its edit, one with a refused key, one with an unreachable
 * server. The last two are the fail-fast figures: each should end in seconds, long before a proposal's timeout.
 * Needs scripts/install-agent-clis.sh first. Run: npx tsx bench/agent-clis.ts [repeats]
 */

import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { createAgentMutator } from "../src/mutators/agent-mutator.js";
import type { Proposal } from "../src/spec/mutator.js";
import { agentCliSpecs } from "../test/fixtures/agent-clis/cli-specs.js";
import { proposeOptions } from "../test/fixtures/llm/scripted.js";
import { createAgentHome, createAgentRepository, listAgentClis } from "../test/helpers/agent-clis.js";

const repeats = Number(process.argv[2] ?? 1);
const key = "sk-bench-key-0123456789";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 9;
}

async function timed(run: () => Promise<Proposal>): Promise<{ seconds: number; outcome: string }> {
  const started = performance.now();
  const proposal = await run();
  const seconds = (performance.now() - started) / 1000;
  const outcome = proposal.type === "failed" ? (proposal.error.split("\n")[0] ?? "") : proposal.type;
  return { seconds, outcome: outcome.length > 70 ? `${outcome.slice(0, 69)}…` : outcome };
}

const rows: string[][] = [];
for (const cli of listAgentClis()) {
  if (!cli.installed) {
    console.log(
      `skipped ${cli.packageName}@${cli.version}: not installed (run scripts/install-agent-clis.sh)`,
    );
    continue;
  }
  const spec = agentCliSpecs[cli.preset as keyof typeof agentCliSpecs];
  const server = await spec.startServer(key);
  const unreachable = `http://127.0.0.1:${await closedPort()}/v1`;
  const cases = [
    ["edit", {}],
    ["refused key", { keyOverride: "sk-wrong-key-0000" }],
    ["unreachable server", { baseURL: unreachable }],
  ] as const;
  for (const [name, change] of cases) {
    for (let repeat = 0; repeat < repeats; repeat++) {
      const home = createAgentHome();
      const repository = createAgentRepository();
      const mutator = createAgentMutator({
        preset: spec.preset,
        model: spec.model,
        baseURL: "baseURL" in change ? change.baseURL : server.baseURL,
        instructions: "Raise the score by changing params.json.",
        timeoutMs: 300_000,
        ...(spec.prices ? { prices: spec.prices } : {}),
        env: {
          PATH: `${cli.binDirectory}:${process.env.PATH}`,
          HOME: home,
          ...spec.keyEnv("keyOverride" in change ? change.keyOverride : key),
        },
      });
      const scope = { editable: ["params.json"], protected: ["run.js"] };
      const { seconds, outcome } = await timed(() => mutator.propose(proposeOptions(repository, { scope })));
      rows.push([`${cli.preset} ${cli.version}`, name, seconds.toFixed(1), outcome]);
      rmSync(home, { recursive: true, force: true });
      rmSync(repository, { recursive: true, force: true });
    }
  }
  await server.close();
}

const header = ["agent", "proposal", "seconds", "outcome"];
const widths = header.map((title, column) =>
  Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
);
const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ");
console.log(line(header));
for (const row of rows) console.log(line(row));
