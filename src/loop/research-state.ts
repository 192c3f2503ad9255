import type { ResearchState } from "../spec/events.js";
import type { Ledger } from "../spec/ledger.js";
import type { Direction } from "../spec/objective.js";
import type { Curve, TrialRecord } from "../spec/records.js";
import type { InFlightTrial } from "./in-flight.js";

/**
 * What the loop knows and changes as it goes: the records, the branch head and the incumbent, the trials in
 * flight, and the incumbent's figures measured along the way. One object, passed to every step, instead of
 * variables shared by closures.
 */
export interface LoopState {
  readonly tag: string;
  readonly direction: Direction;
  readonly records: TrialRecord[];
  readonly sessionRecords: TrialRecord[];
  /** The commit the incumbent branch points at. */
  head: string;
  /** The last kept trial (or the baseline): the one whose commit is `head` once the loop is going. */
  incumbent: TrialRecord | undefined;
  /**
   * Set when a keep was recorded but moving the branch to it failed: `head` is then no longer what the ledger
   * says, and no other keep may be recorded in this session (the next start finishes the move).
   */
  branchMoveFailed?: { trial: number; error: unknown };
  /** Trials reserved and not yet recorded, by id. */
  readonly inFlight: Map<number, InFlightTrial>;
  /** Proposals in a row that were invalid or failed. */
  consecutiveFailures: number;
  /** The next trial number. */
  reserveId(): number;
  /** Gives back the number of a trial that never happened, when it was the last one handed out. */
  releaseId(id: number): void;
  /** Appends a record to the ledger (durably) and to the state, secrets redacted; returns what was stored. */
  append(record: TrialRecord): Promise<TrialRecord>;
  /** Re-measurements of an incumbent commit made alongside candidates, for a paired comparison. */
  rechecks(commit: string): number[];
  /** The holdout figure of an incumbent commit: a number, `null` when it could not be measured, or unknown. */
  holdouts: Map<string, number | null>;
  /** The measured baseline, if there is one. */
  baseline(): TrialRecord | undefined;
  /** The sd of the baseline's repeated runs: how much the metric moves with nothing changed. */
  noiseFloor(): number | undefined;
  /** Learning curves of the kept trials, the baseline's included. */
  keptCurves(): Curve[];
  /** The view stop conditions read. */
  snapshot(): ResearchState;
}

export interface CreateStateOptions {
  tag: string;
  direction: Direction;
  ledger: Ledger;
  records: TrialRecord[];
  head: string;
  /** When this session started, and the clock. */
  startedAt: number;
  now: () => number;
  /** Applied to every record before it is stored (secrets replaced). */
  redact?: (record: TrialRecord) => TrialRecord;
}

/** The incumbent: the last kept trial. Kept trials only ever improve on their predecessor. */
export function lastKept(records: readonly TrialRecord[]): TrialRecord | undefined {
  for (let index = records.length - 1; index >= 0; index--) {
    const record = records[index];
    if (record?.status === "keep") return record;
  }
  return undefined;
}

/**
 * The incumbent a trial's change was made against. For a repair (whose parent is the crashed commit), that of the
 * trial it repairs, through any chain of repairs: the change to apply or measure is the idea and all its fixes.
 */
export function changeBase(records: readonly TrialRecord[], trial: TrialRecord): string {
  let current = trial;
  for (let depth = 0; current.kind === "repair" && current.repairOf !== undefined && depth < 1000; depth++) {
    const repaired = records.find((record) => record.id === current.repairOf);
    if (repaired === undefined) break;
    current = repaired;
  }
  return current.parent;
}

/** The measured baseline: the last one, when the branch was accepted as a new baseline (`acceptBranch`). */
export function keptBaseline(records: readonly TrialRecord[]): TrialRecord | undefined {
  return records.findLast((record) => record.kind === "baseline" && record.status === "keep");
}

export function createLoopState(options: CreateStateOptions): LoopState {
  const { records, ledger, now } = options;
  const sessionRecords: TrialRecord[] = [];
  const inFlight = new Map<number, InFlightTrial>();
  const rechecked = new Map<string, number[]>();
  let nextId = records.reduce((max, record) => Math.max(max, record.id + 1), 0);

  const state: LoopState = {
    tag: options.tag,
    direction: options.direction,
    records,
    sessionRecords,
    head: options.head,
    incumbent: lastKept(records),
    inFlight,
    consecutiveFailures: 0,
    reserveId: () => nextId++,
    releaseId(id) {
      if (id === nextId - 1) nextId--;
    },
    async append(unredacted) {
      const record = options.redact === undefined ? unredacted : options.redact(unredacted);
      await ledger.append({ record });
      records.push(record);
      sessionRecords.push(record);
      return record;
    },
    rechecks(commit) {
      let values = rechecked.get(commit);
      if (values === undefined) {
        values = [];
        rechecked.set(commit, values);
      }
      return values;
    },
    holdouts: new Map(),
    baseline: () => keptBaseline(records),
    noiseFloor() {
      const sd = keptBaseline(records)?.comparison?.statistics?.sd;
      return sd !== undefined && Number.isFinite(sd) ? sd : undefined;
    },
    keptCurves: () =>
      records
        .filter((record) => record.status === "keep" && record.curve !== undefined && record.curve.length > 0)
        .map((record) => record.curve as Curve),
    snapshot() {
      let sinceImprovement = 0;
      for (let index = records.length - 1; index >= 0 && records[index]?.status !== "keep"; index--) {
        sinceImprovement++;
      }
      return {
        tag: options.tag,
        records,
        sessionRecords,
        best: lastKept(records),
        baseline: keptBaseline(records),
        elapsedMs: now() - options.startedAt,
        costUsd:
          records.reduce((sum, record) => sum + (record.proposer.costUsd ?? 0), 0) +
          [...inFlight.values()].reduce((sum, trial) => sum + (trial.proposer.costUsd ?? 0), 0),
        computeMs: records.reduce((sum, record) => sum + (record.durations?.runMs ?? 0), 0),
        inFlight: inFlight.size,
        sinceImprovement,
        direction: options.direction,
      };
    },
  };
  return state;
}
