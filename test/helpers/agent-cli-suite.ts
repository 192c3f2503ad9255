import { randomUUID } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createCommandRunner, createMetricObjective, isTrialCount, runResearch } from "../../src/index.js";
import { type AgentMutatorOptions, createAgentMutator } from "../../src/mutators/agent-mutator.js";
import type { Proposal } from "../../src/spec/mutator.js";
import type { AgentCliSpec, FakeServerHandle } from "../fixtures/agent-clis/cli-specs.js";
import { proposeOptions } from "../fixtures/llm/scripted.js";
import {
  createAgentHome,
  createAgentRepository,
  findAgentCli,
  largeText,
  processesWithVariable,
  removeAgentHome,
} from "./agent-clis.js";
import { gitSync } from "./repository.js";

/**
 * The end-to-end checks every real coding-agent CLI goes through, against a fake model server of its protocol:
 * one edit through `runResearch`, recorded and kept with the agent's usage; a refused key and an unreachable
 * server each failing the proposal with a reason of their own (never the proposal's timeout); a 300 KB prompt;
 * and no process of the agent's left once a proposal is over.
 */

const markerVariable = "AGENT_CLI_TEST_MARKER";
// The proposal's own limit: a failure that only ends here did not fail fast.
const proposalTimeoutMs = 100_000;
const testTimeoutMs = 150_000;

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 9;
}

export function describeAgentCli(spec: AgentCliSpec): void {
  const { cli, skipReason } = findAgentCli(spec.preset);
  describe.skipIf(cli === undefined)(
    `the ${spec.preset} preset with the real CLI${skipReason ? ` (${skipReason})` : ""}`,
    // Generous, for a loaded machine: the proposals' own timeout is what tells a slow failure from a fast one.
    { timeout: testTimeoutMs },
    () => {
      const key = `sk-test-${randomUUID()}`;
      let server: FakeServerHandle;
      let home: string;
      let repository: string;
      let marker: string;
      let seen: Set<number>;
      let sampler: NodeJS.Timeout | undefined;

      beforeAll(async () => {
        server = await spec.startServer(key);
      });
      afterAll(async () => {
        await server?.close();
      });
      afterEach(async () => {
        clearInterval(sampler);
        removeAgentHome(home);
        await rm(repository, { recursive: true, force: true });
      });

      /** The mutator under test; every process it starts carries a marker the test looks for in /proc. */
      function mutator(overrides: Partial<AgentMutatorOptions> = {}) {
        home = createAgentHome();
        marker = randomUUID();
        seen = new Set();
        // Sampled while the agent runs, to know the check afterwards looks for processes that did exist.
        sampler = setInterval(() => {
          for (const pid of processesWithVariable(markerVariable, marker)) seen.add(pid);
        }, 100);
        return createAgentMutator({
          preset: spec.preset,
          model: spec.model,
          baseURL: server.baseURL,
          instructions: "Raise the score by changing params.json.",
          timeoutMs: proposalTimeoutMs,
          killGraceMs: 1_000,
          ...(spec.prices ? { prices: spec.prices } : {}),
          ...overrides,
          env: {
            PATH: `${cli?.binDirectory}:${process.env.PATH}`,
            HOME: home,
            [markerVariable]: marker,
            ...spec.keyEnv(key),
            ...overrides.env,
          },
        });
      }

      function expectNothingLeft(): void {
        clearInterval(sampler);
        expect(seen.size).toBeGreaterThan(0);
        expect(processesWithVariable(markerVariable, marker)).toEqual([]);
      }

      async function proposeOnce(overrides: Partial<AgentMutatorOptions> = {}): Promise<Proposal> {
        repository = createAgentRepository();
        const scope = { editable: ["params.json"], protected: ["run.js"] };
        return mutator(overrides).propose(proposeOptions(repository, { scope }));
      }

      it("makes one edit through runResearch: the trial is recorded with the edit and the agent's usage, and kept", async () => {
        repository = createAgentRepository();
        const summary = await runResearch({
          directory: repository,
          tag: "agent",
          objective: createMetricObjective({ metric: "score", direction: "maximize" }),
          mutator: mutator(),
          runner: createCommandRunner({ command: "node run.js", timeoutMs: 30_000 }),
          scope: { editable: ["params.json"], protected: ["run.js"] },
          stopWhen: [isTrialCount(2)],
        });
        const trial = summary.records[1];
        expect(trial).toMatchObject({
          status: "keep",
          metric: 20,
          description: "raise x to 2",
          changedFiles: ["params.json"],
        });
        expect(trial?.proposer.usage).toEqual(spec.expected.usage);
        expect(trial?.proposer.costUsd).toBeCloseTo(spec.expected.costUsd, 10);
        expect(trial?.proposer.metadata).toMatchObject({ agent: spec.preset, agentVersion: cli?.version });
        expect(gitSync(repository, "show", "autoresearch/agent:params.json")).toBe('{"x": 2}');
        expect(
          server.bodies().some((body) => body.includes("Raise the score by changing params.json.")),
        ).toBe(true);
        const ledger = await readFile(join(repository, ".autoresearch/agent/ledger.jsonl"), "utf8");
        expect(JSON.parse(ledger.trim().split("\n")[1] ?? "{}").proposer.usage).toEqual(spec.expected.usage);
        expectNothingLeft();
      });

      it("fails the proposal with a clear reason when the key is refused, without waiting for its timeout", async () => {
        const proposal = await proposeOnce({ env: spec.keyEnv("sk-wrong-key-0000") });
        expect(proposal.type).toBe("failed");
        const error = proposal.type === "failed" ? proposal.error : "";
        expect(error).toMatch(spec.badKeyError);
        expect(error).not.toMatch(/timed out/);
        expect(error).not.toContain("sk-wrong-key-0000");
        expect(await readFile(join(repository, "params.json"), "utf8")).toBe('{"x": 1}\n');
        expectNothingLeft();
      });

      it("fails the proposal with a clear reason when the model server cannot be reached", async () => {
        const proposal = await proposeOnce({ baseURL: `http://127.0.0.1:${await closedPort()}/v1` });
        expect(proposal.type).toBe("failed");
        const error = proposal.type === "failed" ? proposal.error : "";
        expect(error).toMatch(spec.unreachableError);
        expect(error).not.toMatch(/timed out/);
        expectNothingLeft();
      });

      it("passes a 300 KB prompt whole and still makes its edit", async () => {
        const end = `END-OF-LONG-INSTRUCTIONS-${randomUUID()}`;
        const proposal = await proposeOnce({
          instructions: { text: `Raise the score by changing params.json.\n\n${largeText(300_000, end)}` },
          promptLimits: { instructionsChars: 400_000 },
        });
        expect(proposal).toMatchObject({ type: "edit", description: "raise x to 2" });
        expect(await readFile(join(repository, "params.json"), "utf8")).toBe('{"x": 2}\n');
        expect(server.bodies().some((body) => body.includes(end))).toBe(true);
        expectNothingLeft();
      });
    },
  );
}
