import { readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createCommandRunner,
  createMetricObjective,
  defineMutator,
  formatStatusTable,
  isTargetReached,
  isTrialCount,
  type ResearchEvent,
  readStatus,
  runResearch,
  writeReport,
} from "../src/index.js";
import { createRepository, gitSync } from "./helpers/repository.js";

/** An experiment that sleeps as long as `sleep.txt` says (ms), then prints the sum of a.txt and b.txt as score. */
const experiment = `
const fs = require("node:fs");
const read = (file) => Number(fs.readFileSync(file, "utf8"));
setTimeout(() => console.log("score: " + (read("a.txt") + read("b.txt"))), read("sleep.txt"));
`;

function repository(files: Record<string, string> = {}) {
  return createRepository({
    "a.txt": "0\n",
    "b.txt": "0\n",
    "sleep.txt": "50\n",
    "experiment.cjs": experiment,
    ...files,
  });
}

const objective = () => createMetricObjective({ metric: "score", direction: "maximize" });
const runner = () => createCommandRunner({ command: ["node", "experiment.cjs"], timeoutMs: 60_000 });
const scope = { editable: ["a.txt", "b.txt", "sleep.txt"], protected: ["experiment.cjs"] };

/** A mutator whose proposals are scripted by trial number: files to write, or the end of its ideas. */
function scripted(
  edits: Record<number, Record<string, string>>,
  fallback?: (trial: number) => Record<string, string>,
) {
  return defineMutator({
    name: "scripted",
    async propose({ directory, trial }) {
      const files = edits[trial] ?? fallback?.(trial);
      if (files === undefined) return { type: "exhausted", reason: "no more edits" };
      for (const [file, content] of Object.entries(files)) await writeFile(join(directory, file), content);
      return {
        type: "edit",
        description: Object.entries(files)
          .map(([file, value]) => `${file}=${value.trim()}`)
          .join(" "),
      };
    },
  });
}

describe("the scheduler over slots", () => {
  it("runs 4 slots at once on a sleep target and records every trial exactly once", async () => {
    const directory = repository({ "sleep.txt": "400\n" });
    const events: ResearchEvent[] = [];
    const summary = await runResearch({
      directory,
      tag: "four",
      slots: 4,
      objective: objective(),
      runner: runner(),
      // Each proposal raises a by its trial number: every one improves on the baseline.
      mutator: scripted({}, (trial) => ({ "a.txt": `${trial}\n` })),
      scope,
      stopWhen: isTrialCount(13),
      onEvent: (event) => events.push(event),
    });
    const ids = summary.records.map((record) => record.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(13);
    const refs = gitSync(directory, "for-each-ref", "--format=%(refname)", "refs/autoresearch/four/trials/")
      .split("\n")
      .map((ref) => Number(ref.split("/").pop()));
    for (const ref of refs) expect(ids).toContain(ref);
    // Every slot ran trials, and at some point all four ran at once.
    expect(new Set(summary.records.map((record) => record.slot))).toEqual(new Set([0, 1, 2, 3]));
    let running = 0;
    let most = 0;
    for (const event of events) {
      if (event.type === "run-start") most = Math.max(most, ++running);
      if (event.type === "run-end") running--;
    }
    expect(most).toBe(4);
    expect(summary.slots).toBe(4);
    // The branch holds the last keep, which is what the ledger says.
    const kept = summary.records.filter((record) => record.status === "keep").at(-1);
    expect(gitSync(directory, "rev-parse", "autoresearch/four")).toBe(kept?.commit);
    expect(
      readFileSync(join(directory, ".autoresearch/four/ledger.jsonl"), "utf8").trim().split("\n"),
    ).toHaveLength(13);
    // The report and status show the slots.
    const { file } = await writeReport({ directory, tag: "four" });
    const html = readFileSync(file, "utf8");
    expect(html).toContain("<th>slot</th>");
    expect(html).toMatch(/<dt>Slots<\/dt><dd>4<small>[\d.]+% busy<\/small>/);
    const status = formatStatusTable(await readStatus({ directory, tag: "four" }));
    expect(status).toMatch(/compute .* over 4 slots/);
  });

  it("lands two independent improvements proposed from the same incumbent, the later one measured again on top", async () => {
    const directory = repository();
    const summary = await runResearch({
      directory,
      tag: "both",
      slots: 2,
      objective: objective(),
      runner: runner(),
      // Trial 1 raises a quickly; trial 2 raises b slowly, so trial 1 is kept while trial 2 still runs.
      mutator: scripted({ 1: { "a.txt": "1\n" }, 2: { "b.txt": "1\n", "sleep.txt": "1500\n" } }),
      scope,
    });
    const byId = new Map(summary.records.map((record) => [record.id, record]));
    expect(byId.get(1)?.status).toBe("keep");
    const second = byId.get(2);
    expect(second?.status).toBe("discard");
    expect(second?.reason).toMatch(/trial 1 was kept meanwhile: measured again on top of it as trial 3/);
    expect(second?.rebasedAs).toBe(3);
    const rebase = byId.get(3);
    expect(rebase).toMatchObject({ kind: "rebase", rebaseOf: 2, status: "keep", metric: 2 });
    expect(rebase?.parent).toBe(byId.get(1)?.commit);
    // Both changes are on the branch, which moved forward only.
    expect(gitSync(directory, "show", "autoresearch/both:a.txt")).toBe("1");
    expect(gitSync(directory, "show", "autoresearch/both:b.txt")).toBe("1");
    expect(gitSync(directory, "rev-list", "--count", "autoresearch/both")).toBe("3");
    expect(summary.stopReason).toBe("exhausted");
  });

  it("discards a late improvement that conflicts with what was kept meanwhile, saying so", async () => {
    const directory = repository();
    const summary = await runResearch({
      directory,
      tag: "clash",
      slots: 2,
      objective: objective(),
      runner: runner(),
      mutator: scripted({ 1: { "a.txt": "2\n" }, 2: { "a.txt": "1\n", "sleep.txt": "1500\n" } }),
      scope,
    });
    const second = summary.records.find((record) => record.id === 2);
    expect(second?.status).toBe("discard");
    expect(second?.reason).toMatch(/trial 1 was kept meanwhile and the change conflicts with it \(a\.txt\)/);
    expect(summary.records.some((record) => record.kind === "rebase")).toBe(false);
    expect(gitSync(directory, "show", "autoresearch/clash:a.txt")).toBe("2");
  });

  it("shows a proposer the trials still running, so it does not propose them again", async () => {
    const directory = repository();
    const seen = new Map<number, number[]>();
    await runResearch({
      directory,
      tag: "seen",
      slots: 2,
      objective: objective(),
      runner: runner(),
      mutator: defineMutator({
        name: "watcher",
        async propose({ directory: worktree, trial, running }) {
          seen.set(
            trial,
            (running ?? []).map((each) => each.id),
          );
          // Trial 1 runs long; trial 2 is quick, so trial 3 is proposed while trial 1 still runs.
          const files: Record<string, string> =
            trial === 1 ? { "a.txt": "1\n", "sleep.txt": "2000\n" } : { "b.txt": `${trial}\n` };
          for (const [file, content] of Object.entries(files)) await writeFile(join(worktree, file), content);
          return { type: "edit", description: `idea ${trial}` };
        },
      }),
      scope,
      stopWhen: isTrialCount(4),
    });
    expect(seen.get(3)).toContain(1);
    expect(seen.get(3)).not.toContain(3);
  });

  it("proposes the next trial while the current one runs when proposing ahead", async () => {
    const directory = repository({ "sleep.txt": "800\n" });
    const events: ResearchEvent[] = [];
    await runResearch({
      directory,
      tag: "ahead",
      proposeAhead: 1,
      objective: objective(),
      runner: runner(),
      // Alternate files, so a proposal made before the last keep still applies on top of it.
      mutator: scripted({}, (trial) => ({ [trial % 2 === 1 ? "a.txt" : "b.txt"]: `${trial}\n` })),
      scope,
      stopWhen: isTrialCount(4),
      onEvent: (event) => events.push(event),
    });
    const order = events.flatMap((event) =>
      event.type === "proposal-end"
        ? [`proposed ${event.trial}`]
        : event.type === "run-end"
          ? [`ran ${event.trial}`]
          : [],
    );
    // Trial 2 was proposed before trial 1's run ended, and trial 3 before trial 2's; all three ran.
    expect(order.indexOf("proposed 2")).toBeLessThan(order.indexOf("ran 1"));
    expect(order.indexOf("proposed 3")).toBeLessThan(order.indexOf("ran 2"));
    // (The baseline runs twice: a deterministic target shows itself so, and nothing else runs twice.)
    expect(order.filter((entry) => entry.startsWith("ran"))).toEqual([
      "ran 0",
      "ran 0",
      "ran 1",
      "ran 2",
      "ran 3",
    ]);
  });

  it("runs no candidate proposed ahead once a stop condition is met: it is recorded as not run", async () => {
    const directory = repository({ "sleep.txt": "300\n" });
    const ran: number[] = [];
    const summary = await runResearch({
      directory,
      tag: "stopahead",
      proposeAhead: 1,
      objective: objective(),
      runner: runner(),
      mutator: scripted({}, (trial) => ({ "a.txt": `${trial * 10}\n` })),
      scope,
      stopWhen: isTargetReached(10),
      onEvent: (event) => {
        if (event.type === "run-start") ran.push(event.trial);
      },
    });
    expect(summary.stopReason).toBe("target-reached");
    expect([...new Set(ran)]).toEqual([0, 1]);
    expect(summary.records.at(-1)?.status).toBe("interrupted");
    expect(summary.records.at(-1)?.reason).toContain("not run: the research stopped (target-reached)");
  });

  it("keeps both slots running when only one proposal may be made at a time", async () => {
    const directory = repository({ "sleep.txt": "1500\n" });
    const starts: number[] = [];
    const summary = await runResearch({
      directory,
      tag: "oneproposal",
      slots: 2,
      maxConcurrentProposals: 1,
      objective: objective(),
      runner: runner(),
      // Trial 2 makes things worse: discarded, with no measurement again on top of trial 1.
      mutator: scripted({ 1: { "a.txt": "1\n" }, 2: { "b.txt": "-5\n" } }),
      scope,
      stopWhen: isTrialCount(3),
      onEvent: (event) => {
        if (event.type === "run-start" && event.trial > 0) starts.push(Date.now());
      },
    });
    expect(summary.records.map((record) => record.id)).toEqual([0, 1, 2]);
    // Trial 2 starts while trial 1 runs (1.5 s), not after it.
    expect(starts).toHaveLength(2);
    expect((starts[1] as number) - (starts[0] as number)).toBeLessThan(1200);
  });

  it("records an interrupted trial whose change no longer applies on resume, and does not try it again", async () => {
    const directory = repository({ "sleep.txt": "20\n" });
    const controller = new AbortController();
    const first = await runResearch({
      directory,
      tag: "retry",
      slots: 2,
      objective: objective(),
      runner: runner(),
      // Trial 1 runs long; trial 2 changes the same line and is kept meanwhile; the research stops then.
      mutator: scripted({ 1: { "a.txt": "1\n", "sleep.txt": "20000\n" }, 2: { "a.txt": "2\n" } }),
      scope,
      abortSignal: controller.signal,
      onEvent: (event) => {
        if (event.type === "trial-end" && event.record.id === 2 && event.record.status === "keep")
          controller.abort();
      },
    });
    expect(first.records.find((record) => record.id === 1)?.status).toBe("interrupted");
    const resume = () =>
      runResearch({
        directory,
        tag: "retry",
        objective: objective(),
        runner: runner(),
        mutator: scripted({}),
        scope,
      });
    const second = await resume();
    const retried = second.records.filter((record) => record.rebaseOf === 1);
    expect(retried).toHaveLength(1);
    expect(retried[0]?.status).toBe("discard");
    expect(retried[0]?.reason).toContain("not retried: its change conflicts");
    expect(retried[0]?.reason).toContain("a.txt");
    const third = await resume();
    expect(third.records.filter((record) => record.rebaseOf === 1)).toHaveLength(1);
    expect(third.records).toHaveLength(second.records.length);
  });

  it("records no other keep once moving the branch failed, and the next start finishes that move", async () => {
    // Trial 2 runs long and, as it ends, removes the lock that made trial 1's branch move fail.
    const directory = repository({
      "experiment.cjs": `${experiment}\nif (process.env.AUTORESEARCH_TRIAL === "2") setTimeout(() => require("node:fs").rmSync(require("node:path").resolve(process.env.AUTORESEARCH_ROOT, ".git/refs/heads/autoresearch/stuck.lock"), { force: true }), 1300);\n`,
    });
    const options = {
      directory,
      tag: "stuck",
      slots: 2,
      sandbox: false as const,
      objective: objective(),
      runner: runner(),
      scope,
    };
    const edits = scripted({ 1: { "a.txt": "1\n" }, 2: { "b.txt": "1\n", "sleep.txt": "1500\n" } });
    const failed = runResearch({
      ...options,
      // A lock git leaves behind: the branch cannot move while it is there.
      mutator: defineMutator({
        name: "locking",
        async propose(proposeOptions) {
          if (proposeOptions.trial === 1)
            writeFileSync(join(directory, ".git/refs/heads/autoresearch/stuck.lock"), "");
          return edits.propose(proposeOptions);
        },
      }),
      stopWhen: isTrialCount(3),
    });
    await expect(failed).rejects.toThrow();
    const ledger = readFileSync(join(directory, ".autoresearch/stuck/ledger.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: number; status: string });
    // Trial 1's keep is recorded; trial 2, better than the head the driver still believed in, was not kept.
    expect(ledger.map((record) => `${record.id}:${record.status}`)).toEqual(["0:keep", "1:keep"]);
    const resumed = await runResearch({
      ...options,
      mutator: scripted({}),
      slots: 1,
      stopWhen: isTrialCount(4),
    });
    expect(gitSync(directory, "show", "autoresearch/stuck:a.txt")).toBe("1");
    expect(resumed.records.filter((record) => record.status === "keep").map((record) => record.id)).toContain(
      1,
    );
  });
});

/** Prints a learning curve: `step i val_loss v` with v = start - slope * i, then the final value. */
const curveExperiment = `
const fs = require("node:fs");
const [start, slope] = fs.readFileSync("curve.txt", "utf8").trim().split(" ").map(Number);
let step = 0;
const timer = setInterval(() => {
  step++;
  const value = start - slope * step;
  console.log("step " + step + " val_loss " + value.toFixed(4));
  if (step === 20) { clearInterval(timer); console.log("val_loss: " + value.toFixed(4)); }
}, 40);
`;

describe("early stopping", () => {
  it("stops a hopeless curve early, records it pruned with its curve, and never stops a good one", async () => {
    const directory = createRepository({ "curve.txt": "5 0.05\n", "experiment.cjs": curveExperiment });
    const summary = await runResearch({
      directory,
      tag: "prune",
      objective: createMetricObjective({
        metric: "val_loss",
        direction: "minimize",
        progress: { progress: "step", value: "val_loss" },
      }),
      runner: createCommandRunner({ command: ["node", "experiment.cjs"], timeoutMs: 60_000 }),
      // Trial 1 starts higher and learns no faster: hopeless. Trial 2 learns faster: better all along.
      mutator: scripted({ 1: { "curve.txt": "6 0.05\n" }, 2: { "curve.txt": "5 0.08\n" } }),
      scope: { editable: ["curve.txt"], protected: ["experiment.cjs"] },
      earlyStopping: { minProgress: 5 },
    });
    const [baseline, hopeless, good] = summary.records;
    expect(baseline?.status).toBe("keep");
    expect(baseline?.curve).toHaveLength(20);
    expect(hopeless?.status).toBe("pruned");
    expect(hopeless?.reason).toMatch(
      /stopped early at progress 5: val_loss 5\.75 is worse than the median of 1 kept curve 4\.75/,
    );
    expect(hopeless?.curve?.at(-1)).toEqual([5, 5.75]);
    expect(good?.status).toBe("keep");
    expect(good?.curve).toHaveLength(20);
    expect(good?.metric).toBeCloseTo(3.4, 6);
    // The report draws the curves: the baseline's, the kept one's and the pruned one's, where it stopped.
    const { file } = await writeReport({ directory, tag: "prune" });
    const html = readFileSync(file, "utf8");
    expect(html).toContain("Learning curves (val_loss, by progress)");
    expect(html).toContain("runs stopped early (pruned)");
    const markdown = await writeReport({ directory, tag: "prune", format: "md" });
    expect(markdown.files.map((each) => each.split("/").pop())).toEqual([
      "report.md",
      "report.svg",
      "report-curves.svg",
    ]);
  });
});
