import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigurationError } from "../src/errors/autoresearch-error.js";
import { createProgressRenderer, formatTrialLine } from "../src/report/progress-renderer.js";
import type { ResearchEvent, ResearchSummary } from "../src/spec/events.js";
import type { RunResult, TrialRecord, TrialStatus } from "../src/spec/records.js";

class FakeStream extends Writable {
  text = "";
  isTTY: boolean;
  columns = 100;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

function record(
  id: number,
  status: TrialStatus,
  metric: number | null,
  description: string,
  totalMs: number,
  run: TrialRecord["run"] = { exitCode: 0, signal: null, timedOut: false, durationMs: totalMs - 1000 },
): TrialRecord {
  return {
    id,
    tag: "demo",
    kind: id === 0 ? "baseline" : "proposal",
    parent: "a".repeat(40),
    commit: id === 0 ? null : "b".repeat(40),
    description,
    status,
    reason: "",
    metric,
    metrics: metric === null ? {} : { val_bpb: metric, peak_vram_mb: 45000 },
    changedFiles: [],
    run,
    log: null,
    proposer: { name: "test" },
    durations: { proposeMs: 1000, runMs: totalMs - 1000, totalMs },
    startedAt: "2025-03-01T00:00:00.000Z",
    endedAt: "2025-03-01T00:00:12.300Z",
  };
}

const baseline = record(0, "keep", 0.9791, "baseline", 12_300);
const first = record(1, "keep", 0.9712, "LEARNING_RATE 0.04 -> 0.06", 12_300);
const second = {
  ...record(2, "discard", 0.975, "DEPTH 8 -> 10", 65_000),
  reason: "0.975 is not better than 0.9712",
};
const crashed = {
  ...record(3, "crash", null, "use bf16 everywhere", 3100, {
    exitCode: 1,
    signal: null,
    timedOut: false,
    durationMs: 2100,
  }),
  reason: "exited with code 1",
};
const timedOut = {
  ...record(4, "timeout", null, "double the batch size", 301_000, {
    exitCode: null,
    signal: "SIGKILL",
    timedOut: true,
    durationMs: 300_000,
  }),
  reason: "timed out after 300.0 s",
};
const failedProposal = {
  ...record(5, "invalid", null, "(failed proposal)", 900, null),
  reason: "proposal failed: The model call failed: HTTP 401: Incorrect API key provided",
};
const runResult: RunResult = {
  exitCode: 0,
  signal: null,
  durationMs: 1,
  timedOut: false,
  interrupted: false,
  logFile: "/tmp/x.log",
  outputTail: "",
};
const summary: ResearchSummary = {
  tag: "demo",
  directory: "/repo",
  branch: "autoresearch/demo",
  baseline,
  best: first,
  records: [baseline, first, second, crashed, timedOut, failedProposal],
  trials: 6,
  kept: 1,
  slots: 1,
  computeMs: 0,
  stopReason: "trial-count",
  ledgerFile: "/repo/.autoresearch/demo/ledger.jsonl",
  durationMs: 394_000,
};

function trial(
  finished: TrialRecord,
  best: TrialRecord,
  lines: string[] = [],
  result: RunResult = runResult,
): ResearchEvent[] {
  return [
    { type: "trial-start", trial: finished.id, kind: finished.kind, parent: finished.parent },
    {
      type: "proposal-end",
      trial: finished.id,
      proposal: { type: "edit", description: finished.description },
      changedFiles: ["train.py"],
      durationMs: 1000,
    },
    { type: "run-start", trial: finished.id, sample: 1, of: 1, role: "candidate" },
    ...lines.map((line): ResearchEvent => ({ type: "run-line", trial: finished.id, line })),
    {
      type: "run-end",
      trial: finished.id,
      result,
      measurement: { metrics: finished.metrics, value: finished.metric ?? undefined, violations: [] },
    },
    { type: "trial-end", record: finished, best },
  ];
}

const script: ResearchEvent[] = [
  {
    type: "research-start",
    tag: "demo",
    directory: "/repo",
    branch: "autoresearch/demo",
    resumed: 0,
    warnings: ["the ledger had a torn last line; it was repaired"],
  },
  ...trial(baseline, baseline, ["step 10 | loss: 3.21", "val_bpb: 0.9791"]),
  ...trial(first, first),
  ...trial(second, first),
  ...trial(crashed, first, [], {
    ...runResult,
    exitCode: 1,
    logFile: "/repo/.autoresearch/demo/logs/3.log",
    outputTail:
      'step 1\nTraceback (most recent call last):\n  File "train.py", line 3\n\x1b[31mRuntimeError: bf16 unsupported\x1b[0m\n',
  }),
  ...trial(timedOut, first),
  { type: "trial-start", trial: 5, kind: "proposal", parent: "a".repeat(40) },
  { type: "trial-end", record: failedProposal, best: first },
  { type: "research-end", summary },
];

describe("formatTrialLine", () => {
  it("prints status, metric, delta to the previous best, description and duration", () => {
    expect(formatTrialLine(first, baseline)).toBe(
      "trial 1  keep     val_bpb 0.9712  (-0.0079)  LEARNING_RATE 0.04 -> 0.06  12.3s",
    );
    expect(formatTrialLine(crashed, first)).toBe(
      "trial 3  crash    exit 1  use bf16 everywhere  3.1s — exited with code 1",
    );
  });
});

describe("createProgressRenderer", () => {
  let renderer: ReturnType<typeof createProgressRenderer> | undefined;
  afterEach(() => renderer?.close());

  it("prints plain lines without a TTY: start, one per finished trial, end", () => {
    const stream = new FakeStream(false);
    renderer = createProgressRenderer({ stream, timeoutMs: 300_000 });
    for (const event of script) renderer.handle(event);
    expect(stream.text.split("\n")).toEqual([
      "research demo on autoresearch/demo in /repo",
      "warning: the ledger had a torn last line; it was repaired",
      "trial 0  baseline val_bpb 0.9791  12.3s",
      "trial 1  keep     val_bpb 0.9712  (-0.0079)  LEARNING_RATE 0.04 -> 0.06  12.3s",
      "trial 2  discard  val_bpb 0.9750  (+0.0038)  DEPTH 8 -> 10  1m 05s — 0.975 is not better than 0.9712",
      "trial 3  crash    exit 1  use bf16 everywhere  3.1s — exited with code 1",
      "    log: /repo/.autoresearch/demo/logs/3.log",
      "    │ step 1",
      "    │ Traceback (most recent call last):",
      '    │   File "train.py", line 3',
      "    │ RuntimeError: bf16 unsupported",
      "trial 4  timeout  timed out  double the batch size  5m 01s — timed out after 300.0 s",
      "    log: /tmp/x.log",
      "trial 5  failed   900ms — proposal failed: The model call failed: HTTP 401: Incorrect API key provided",
      "research demo ended (trial-count): 6 trials, the baseline included: 1 kept, 1 discarded, 1 crashed, 1 timed out, 1 failed proposal; best val_bpb 0.9712 (trial 1) -0.81% vs baseline, 6m 34s",
      "",
    ]);
    expect(stream.text).not.toContain("\x1b");
  });

  it("redraws a block in a TTY: the bar against the timeout, the latest metric line, the best", () => {
    const stream = new FakeStream(true);
    let clock = 0;
    renderer = createProgressRenderer({
      stream,
      timeoutMs: 300_000,
      now: () => clock,
      refreshMs: 0,
      color: false,
    });
    for (const event of script.slice(0, 8)) renderer.handle(event);
    expect(stream.text).toContain("warning: the ledger had a torn last line");
    renderer.handle({ type: "trial-start", trial: 1, kind: "proposal", parent: "a" });
    renderer.handle({
      type: "proposal-end",
      trial: 1,
      proposal: { type: "edit", description: "LEARNING_RATE 0.04 -> 0.06" },
      changedFiles: [],
      durationMs: 1,
    });
    renderer.handle({ type: "run-start", trial: 1, sample: 1, of: 1, role: "candidate" });
    clock = 150_000;
    renderer.handle({ type: "run-line", trial: 1, line: "step 00420 | loss: 3.1021 | lr 0.04" });
    renderer.handle({ type: "run-line", trial: 1, line: "compiling kernels..." });

    const lastBlock = stream.text.slice(stream.text.lastIndexOf("\x1b[0J") + 4);
    expect(lastBlock).toBe(
      [
        "trial 1  proposal  LEARNING_RATE 0.04 -> 0.06",
        `${"█".repeat(12)}${"░".repeat(12)} 2m 30s / 5m 00s  running`,
        "step 00420 | loss: 3.1021 | lr 0.04",
        "best val_bpb 0.9791 (trial 0)  ·  kept 0  discarded 0  crashed 0",
        "",
      ].join("\n"),
    );
    // The finished baseline stays above the block as a permanent line.
    expect(stream.text).toContain("trial 0  baseline val_bpb 0.9791  12.3s\n");
    expect(stream.text).toMatch(/\x1b\[\d+F\x1b\[0J/);
  });

  it("shows one line per slot while several trials run at once", () => {
    const stream = new FakeStream(true);
    let clock = 0;
    renderer = createProgressRenderer({
      stream,
      timeoutMs: 300_000,
      now: () => clock,
      refreshMs: 0,
      color: false,
    });
    renderer.handle({ type: "trial-start", trial: 5, kind: "proposal", parent: "a", slot: 1 });
    renderer.handle({ type: "trial-start", trial: 4, kind: "proposal", parent: "a", slot: 0 });
    renderer.handle({
      type: "proposal-end",
      trial: 4,
      proposal: { type: "edit", description: "DEPTH 8 -> 10" },
      changedFiles: [],
      durationMs: 1,
    });
    renderer.handle({ type: "run-start", trial: 4, sample: 0, of: 1, role: "candidate", slot: 0 });
    clock = 60_000;
    renderer.handle({ type: "run-line", trial: 4, line: "step 100 | loss: 3.5", slot: 0 });
    const lastBlock = stream.text.slice(stream.text.lastIndexOf("\x1b[0J") + 4).split("\n");
    expect(lastBlock[0]).toBe(
      `slot 0  trial 4  ${"█".repeat(5)}${"░".repeat(19)} 1m 00s  running  DEPTH 8 -> 10  step 100 | loss: 3.5`,
    );
    expect(lastBlock[1]).toBe("slot 1  trial 5  1m 00s  proposing  proposing…");
    renderer.handle({ type: "trial-end", record: { ...first, id: 4 }, best: first });
    const afterEnd = stream.text.slice(stream.text.lastIndexOf("\x1b[0J") + 4).split("\n");
    // The finished trial's line, then, with one trial left, the usual three-line block.
    expect(afterEnd[0]).toMatch(/^trial 4 {2}keep/);
    expect(afterEnd[1]).toBe("trial 5  proposal  proposing…");
  });

  it("colours only in a TTY, and not with NO_COLOR", () => {
    const colored = new FakeStream(true);
    renderer = createProgressRenderer({ stream: colored, refreshMs: 0, color: true });
    renderer.handle(script[0] as ResearchEvent);
    renderer.handle({ type: "trial-end", record: first, best: first });
    expect(colored.text).toContain("\x1b[32mtrial 1  keep");

    const previous = process.env.NO_COLOR;
    process.env.NO_COLOR = "1";
    try {
      const plain = new FakeStream(true);
      const quiet = createProgressRenderer({ stream: plain, refreshMs: 0 });
      quiet.handle({ type: "trial-end", record: first, best: first });
      quiet.close();
      expect(plain.text).toContain("trial 1  keep");
      expect(plain.text).not.toMatch(/\x1b\[3\dm/);
    } finally {
      if (previous === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = previous;
    }
  });

  it("rejects a stream that cannot be written to", () => {
    expect(() => createProgressRenderer({ stream: {} as NodeJS.WritableStream })).toThrow(ConfigurationError);
    expect(() => createProgressRenderer({ stream: {} as NodeJS.WritableStream })).toThrow(/`stream`/);
  });
});
