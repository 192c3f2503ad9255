import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import {
  createMetricObjective,
  createSlurmRunner,
  defineMutator,
  isTrialCount,
  loadConfig,
  type ResearchEvent,
  resolveConfig,
  runResearch,
  type TrialRecord,
} from "../src/index.js";
import { MockMutator } from "../src/testing/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";
import { describeWithSlurm } from "./helpers/slurm.js";

const experiment = `value=$(cat value.txt)
echo "step 1 of 1"
echo "score: $(( (value * 7919) % 101 ))"
`;

// The same research, declared in a config file, once with a local command and once through Slurm.
const config = (runner: string) => `
import { writeFileSync } from "node:fs";
import { join } from "node:path";
export default {
  tag: "cluster",
  runner: ${runner},
  objective: { metric: "score", direction: "maximize" },
  mutator: {
    name: "counter",
    async propose({ directory, trial }: { directory: string; trial: number }) {
      writeFileSync(join(directory, "value.txt"), String(trial * 3) + "\\n");
      return { type: "edit", description: "value " + trial * 3 };
    },
  },
  scope: { editable: ["value.txt"], protected: ["experiment.sh"] },
};
`;

async function research(runner: string) {
  const directory = createRepository({
    "value.txt": "1\n",
    "experiment.sh": experiment,
    "autoresearch.config.ts": config(runner),
  });
  const loaded = await loadConfig(join(directory, "autoresearch.config.ts"));
  const options = await resolveConfig(loaded.config, loaded.directory);
  const summary = await runResearch({ ...options, stopWhen: isTrialCount(6) });
  return { directory, summary };
}

const outcome = (record: TrialRecord) => [record.id, record.status, record.metric, record.description];

describeWithSlurm("a research through Slurm", () => {
  it("records, logs, keeps and moves the branch as the same research run locally does", async () => {
    const local = await research(`{ command: ["bash", "experiment.sh"], timeoutMs: 60000 }`);
    const cluster = await research(
      `{ slurm: { command: ["bash", "experiment.sh"], timeoutMs: 60000, pollIntervalMs: 200 } }`,
    );
    const { directory, summary } = cluster;
    const description = JSON.parse(
      readFileSync(join(directory, ".autoresearch/cluster/research.json"), "utf8"),
    );
    expect(description.runner).toBe("slurm");
    expect(summary.records).toHaveLength(6);
    expect(summary.records.map(outcome)).toEqual(local.summary.records.map(outcome));
    expect(summary.records.filter((record) => record.status === "keep").length).toBeGreaterThan(1);
    expect(summary.records.filter((record) => record.status === "discard").length).toBeGreaterThan(0);

    // Every trial ran as a job of its own, recorded with its queue time.
    const jobs = summary.records.map((record) => record.run?.job?.id);
    expect(new Set(jobs).size).toBe(6);
    for (const record of summary.records) {
      expect(record.run?.job?.state).toBe("COMPLETED");
      expect(record.run?.queuedMs).toBeGreaterThanOrEqual(0);
      const log = readFileSync(join(directory, ".autoresearch/cluster", record.log as string), "utf8");
      expect(log).toContain(`step 1 of 1\nscore: ${record.metric}\n`);
      expect(log).toContain(`[autoresearch: Slurm job ${record.run?.job?.id} ended COMPLETED`);
    }
    const ledger = readFileSync(join(directory, ".autoresearch/cluster/ledger.jsonl"), "utf8")
      .trim()
      .split("\n");
    expect(ledger.map((line) => JSON.parse(line).id)).toEqual([0, 1, 2, 3, 4, 5]);
    // results.tsv says the same as the local research's, but for the commits.
    const rows = (root: string) =>
      readFileSync(join(root, ".autoresearch/cluster/results.tsv"), "utf8")
        .trim()
        .split("\n")
        .map((row) => row.split("\t").slice(1));
    expect(rows(directory)).toHaveLength(7);
    expect(rows(directory)).toEqual(rows(local.directory));

    // The branch holds the last kept trial; the user's checkout is untouched.
    const best = summary.best as TrialRecord;
    expect(gitSync(directory, "rev-parse", "autoresearch/cluster")).toBe(best.commit);
    expect(gitSync(directory, "show", "autoresearch/cluster:value.txt")).toBe(best.description.split(" ")[1]);
    expect(gitSync(directory, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(readFileSync(join(directory, "value.txt"), "utf8")).toBe("1\n");
  });

  it("runs two slots as two concurrent jobs: records, logs, keeps and branch as with local runs", async () => {
    // Each trial edits one of two files, so the trials running at once seldom conflict.
    const slotted = `a=$(cat a.txt); b=$(cat b.txt)
sleep 1
echo "score: $(( ((a * 7919) % 101) + ((b * 104729) % 103) ))"
`;
    const directory = createRepository({ "a.txt": "1\n", "b.txt": "1\n", "experiment.sh": slotted });
    const events: ResearchEvent[] = [];
    const summary = await runResearch({
      directory,
      tag: "pair",
      slots: 2,
      runner: createSlurmRunner({
        command: ["bash", "experiment.sh"],
        timeoutMs: 60_000,
        pollIntervalMs: 200,
      }),
      objective: createMetricObjective({ metric: "score", direction: "maximize" }),
      mutator: defineMutator({
        name: "alternating",
        async propose({ directory: worktree, trial }) {
          const file = trial % 2 === 0 ? "a.txt" : "b.txt";
          writeFileSync(join(worktree, file), `${trial * 3}\n`);
          return { type: "edit", description: `${file} ${trial * 3}` };
        },
      }),
      scope: { editable: ["a.txt", "b.txt"], protected: ["experiment.sh"] },
      stopWhen: isTrialCount(6),
      onEvent: (event) => events.push(event),
    });
    const ids = summary.records.map((record) => record.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Six trials were started; a change measured again on a new head (a rebase) may add to them.
    expect(summary.records.filter((record) => record.kind !== "rebase")).toHaveLength(6);
    // Two jobs ran at once, one per slot, each run a job of its own with its log.
    let running = 0;
    let most = 0;
    for (const event of events) {
      if (event.type === "run-start") most = Math.max(most, ++running);
      if (event.type === "run-end") running--;
    }
    expect(most).toBe(2);
    expect(new Set(summary.records.map((record) => record.slot))).toEqual(new Set([0, 1]));
    const measured = summary.records.filter((record) => record.run !== null);
    expect(new Set(measured.map((record) => record.run?.job?.id)).size).toBe(measured.length);
    for (const record of measured) {
      const log = readFileSync(join(directory, ".autoresearch/pair", record.log as string), "utf8");
      expect(log).toContain(`[autoresearch: Slurm job ${record.run?.job?.id} ended`);
    }
    // The branch holds the last keep; every keep's commit is on it, in order.
    const keeps = summary.records.filter((record) => record.status === "keep" && record.kind !== "baseline");
    expect(keeps.length).toBeGreaterThan(0);
    expect(gitSync(directory, "rev-parse", "autoresearch/pair")).toBe(keeps.at(-1)?.commit);
    for (const keep of keeps) {
      expect(() =>
        gitSync(directory, "merge-base", "--is-ancestor", keep.commit as string, "autoresearch/pair"),
      ).not.toThrow();
    }
    expect(gitSync(directory, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
  });

  it("records a job that exits 3, one cancelled by someone else and one over its timeout, each with its reason", async () => {
    const experiment = `mode=$(cat mode.txt)
echo "mode $mode"
case "$mode" in
  exit3) exit 3 ;;
  wait | cancel) while :; do sleep 0.1; done ;;
esac
echo "score: 1"
`;
    const directory = createRepository({ "mode.txt": "ok\n", "experiment.sh": experiment });
    const mutator = new MockMutator({
      propose: ["exit3", "cancel", "wait"].map((mode) => ({
        files: { "mode.txt": `${mode}\n` },
        description: mode,
      })),
    });
    const summary = await runResearch({
      directory,
      tag: "failing",
      runner: createSlurmRunner({ command: ["bash", "experiment.sh"], timeoutMs: 3000, pollIntervalMs: 200 }),
      objective: createMetricObjective({ metric: "score", direction: "maximize" }),
      mutator,
      scope: { editable: ["mode.txt"] },
      stopWhen: isTrialCount(4),
      onEvent: (event) => {
        if (event.type !== "run-line" || event.line !== "mode cancel") return;
        // Someone else cancels the job: found by its name, as a user would with squeue.
        const jobId = execFileSync(
          "squeue",
          ["--noheader", "--name=autoresearch-failing-2-0", "--format=%i"],
          {
            encoding: "utf8",
          },
        ).trim();
        execFileSync("scancel", [jobId]);
      },
    });
    const [baseline, exited, cancelled, timedOut] = summary.records;
    expect(baseline?.status).toBe("keep");
    expect(exited).toMatchObject({ status: "crash", run: { exitCode: 3, job: { state: "FAILED" } } });
    expect(exited?.reason).toMatch(/^exited with code 3 \(Slurm job \d+ FAILED on \S+\)$/);
    expect(cancelled).toMatchObject({ status: "crash", run: { job: { state: "CANCELLED" } } });
    expect(cancelled?.reason).toMatch(
      /^Slurm job \d+ was cancelled outside the research on \S+ \(by `scancel`/,
    );
    expect(timedOut).toMatchObject({ status: "timeout", run: { timedOut: true } });
    expect(timedOut?.reason).toMatch(/^timed out after \d+\.\d s$/);
    for (const record of [exited, cancelled, timedOut]) {
      const log = readFileSync(join(directory, ".autoresearch/failing", record?.log as string), "utf8");
      expect(log).toContain(`mode ${record?.description}`);
    }
    // Nothing of them is left in the queue.
    const left = execFileSync(
      "squeue",
      ["--noheader", "--name=autoresearch-failing-2-0,autoresearch-failing-3-0"],
      {
        encoding: "utf8",
      },
    );
    expect(left.trim()).toBe("");
    writeFileSync(join(directory, "done"), "");
  });
});
