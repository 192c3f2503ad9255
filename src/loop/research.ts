import { join } from "node:path";
import { createJsonlLedger } from "../ledgers/jsonl-ledger.js";
import { writeResearchDescription } from "../ledgers/research-description.js";
import { killByEnvironment } from "../runners/process-group.js";
import type { ResearchEvent, ResearchState, ResearchSummary, StopReason } from "../spec/events.js";
import type { Proposal, RepairRequest } from "../spec/mutator.js";
import type { CaseScores, Comparison, Measurement, TrialRecord, TrialStatus } from "../spec/records.js";
import { checkScope } from "../workspace/scope.js";
import { openWorkspace, type Workspace } from "../workspace/workspace.js";
import { caseCompareOptions, mergeCaseScores } from "./case-results.js";
import type { RunFailure } from "./classify-run.js";
import { createEventChannel, type EventChannel } from "./event-channel.js";
import { runFinalEvaluation } from "./final-evaluation.js";
import {
  clearInFlight,
  type InFlightTrial,
  killLeftoverGroup,
  readInFlight,
  writeInFlight,
  writeInFlightSync,
} from "./in-flight.js";
import { measureRun, type RunOutcome } from "./measure-run.js";
import {
  type NormalizedResearchOptions,
  normalizeResearchOptions,
  type ResearchOptions,
  type RunResearchOptions,
} from "./research-options.js";

/** Every experiment's environment names the state directory of its research, so leftovers can be found. */
const stateVariable = "AUTORESEARCH_STATE";

const emptyMeasurement: Measurement = { metrics: {}, value: undefined, violations: [] };

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** The incumbent: the last kept trial. Kept trials only ever improve on their predecessor. */
function lastKept(records: readonly TrialRecord[]): TrialRecord | undefined {
  for (let index = records.length - 1; index >= 0; index--) {
    const record = records[index];
    if (record?.status === "keep") return record;
  }
  return undefined;
}

/** The measured baseline, if there is one. */
function keptBaseline(records: readonly TrialRecord[]): TrialRecord | undefined {
  return records.find((record) => record.kind === "baseline" && record.status === "keep");
}

function samplesOf(record: TrialRecord | undefined): number[] {
  if (record === undefined) return [];
  if (record.samples !== undefined && record.samples.length > 0) return record.samples;
  return record.metric === null ? [] : [record.metric];
}

function totalCost(records: readonly TrialRecord[]): number {
  return records.reduce((sum, record) => sum + (record.proposer.costUsd ?? 0), 0);
}

async function drive(
  options: NormalizedResearchOptions,
  channel: EventChannel<ResearchEvent>,
  abortSignal: AbortSignal,
): Promise<ResearchSummary> {
  const started = Date.now();
  const { objective, mutator, runner, evaluation } = options;
  const workspace: Workspace = await openWorkspace({
    directory: options.directory,
    tag: options.tag,
    protected: options.scope.protected,
  });
  const { stateDirectory, trialDirectory, tag } = workspace;
  const emit = (event: ResearchEvent) => channel.push(event);

  try {
    const ledgerFile = join(stateDirectory, "ledger.jsonl");
    const ledger =
      options.ledger ??
      createJsonlLedger({
        file: ledgerFile,
        resultsFile: join(stateDirectory, "results.tsv"),
        metric: objective.metric,
      });
    const records = await ledger.read();
    const sessionRecords: TrialRecord[] = [];
    const warnings = [...workspace.warnings];

    const append = async (record: TrialRecord) => {
      await ledger.append({ record });
      records.push(record);
      sessionRecords.push(record);
    };

    // A driver that died mid-trial left its marker: kill what it started and record the trial as interrupted.
    // Its experiments carry the state directory in their environment, which finds them even when the driver
    // died before it could record their process group.
    await killByEnvironment(stateVariable, stateDirectory);
    const leftover = await readInFlight(stateDirectory);
    if (leftover !== undefined) {
      for (const group of leftover.processGroups) killLeftoverGroup(group);
      if (!records.some((record) => record.id === leftover.id)) {
        const now = new Date().toISOString();
        await append({
          id: leftover.id,
          tag,
          kind: leftover.kind,
          ...(leftover.repairOf === undefined ? {} : { repairOf: leftover.repairOf }),
          parent: leftover.parent,
          commit: leftover.commit,
          description: leftover.description,
          status: "interrupted",
          reason: "the driver stopped during this trial",
          metric: null,
          metrics: {},
          changedFiles: leftover.changedFiles,
          run: null,
          log: null,
          proposer: leftover.proposer,
          durations: {
            proposeMs: 0,
            runMs: 0,
            totalMs: Date.parse(now) - Date.parse(leftover.startedAt) || 0,
          },
          startedAt: leftover.startedAt,
          endedAt: now,
        });
      }
      await clearInFlight(stateDirectory);
    }

    let incumbent = lastKept(records);
    let head = await workspace.branchHead();
    if (incumbent?.commit && incumbent.commit !== head) {
      if (await workspace.isAncestor(head, incumbent.commit)) {
        // The keep was recorded but the driver died before the branch moved: finish the move.
        await workspace.advance({ from: head, to: incumbent.commit });
        head = incumbent.commit;
      } else {
        warnings.push(
          `The branch ${workspace.branch} (${head.slice(0, 7)}) is not at the last kept trial ${incumbent.id} (${incumbent.commit.slice(0, 7)}); continuing from the branch.`,
        );
      }
    }

    await writeResearchDescription(stateDirectory, {
      tag,
      metric: objective.metric,
      direction: objective.direction,
      branch: workspace.branch,
      objective: objective.name,
      mutator: mutator.name,
      runner: runner.name,
      startedAt: new Date(started).toISOString(),
    });
    emit({
      type: "research-start",
      tag,
      directory: workspace.directory,
      branch: workspace.branch,
      resumed: records.length,
      warnings,
    });

    let nextId = records.reduce((max, record) => Math.max(max, record.id + 1), 0);
    let currentCheckout: string | undefined;
    let stopReason: StopReason | undefined;
    let consecutiveFailures = 0;
    let repair: RepairRequest | undefined;
    const recheckedIncumbent: number[] = [];
    const recheckedIncumbentCases: (CaseScores | undefined)[] = [];

    const state = (): ResearchState => {
      const kept = lastKept(records);
      let sinceImprovement = 0;
      for (let index = records.length - 1; index >= 0 && records[index]?.status !== "keep"; index--) {
        sinceImprovement++;
      }
      return {
        tag,
        records,
        sessionRecords,
        best: kept,
        baseline: keptBaseline(records),
        elapsedMs: Date.now() - started,
        costUsd: totalCost(records),
        sinceImprovement,
        direction: objective.direction,
      };
    };

    const shouldStop = (): StopReason | undefined => {
      if (abortSignal.aborted) return "aborted";
      const conditions = options.stopWhen === undefined ? [] : [options.stopWhen].flat();
      const current = state();
      for (const condition of conditions) {
        const reason = condition(current);
        if (reason !== false) return reason;
      }
      return undefined;
    };

    const runOnce = async (
      commit: string,
      trial: number,
      sample: number,
      of: number,
      role: "candidate" | "incumbent" | "holdout",
      inFlight: InFlightTrial,
      judge: { runner: typeof runner; objective: typeof objective; name?: string } = { runner, objective },
    ): Promise<RunOutcome> => {
      if (currentCheckout !== commit) {
        await workspace.checkout(commit);
        currentCheckout = commit;
      }
      emit({ type: "run-start", trial, sample, of, role });
      const name =
        judge.name ??
        (role === "incumbent" ? `${trial}-incumbent-${sample}` : of > 1 ? `${trial}-${sample}` : `${trial}`);
      const logFile = join(stateDirectory, "logs", `${name}.log`);
      const outcome = await measureRun({
        runner: judge.runner,
        objective: judge.objective,
        directory: trialDirectory,
        trial,
        logFile,
        env: {
          ...options.env,
          AUTORESEARCH_TAG: tag,
          [stateVariable]: stateDirectory,
          AUTORESEARCH_TRIAL: String(trial),
          AUTORESEARCH_SAMPLE: String(sample),
          [evaluation.seedVariable]: String(sample),
        },
        onLine: (line) => channel.push({ type: "run-line", trial, line }, { droppable: true }),
        onStart: ({ pid }) => {
          inFlight.processGroups.push(pid);
          // Synchronously, so the group is on disk before the experiment gets far.
          writeInFlightSync(stateDirectory, inFlight);
        },
        changedProtectedFiles: () => workspace.changedProtectedFiles(),
        abortSignal,
      });
      if (outcome.tampered.length > 0) currentCheckout = undefined;
      emit({ type: "run-end", trial, result: outcome.result, measurement: outcome.measurement });
      return outcome;
    };

    /** The sd of the baseline's repeated runs, recorded in its comparison statistics. */
    const noiseFloor = (): number | undefined => {
      const sd = keptBaseline(records)?.comparison?.statistics?.sd;
      return sd !== undefined && Number.isFinite(sd) ? sd : undefined;
    };

    /** Runs a candidate (and, interleaved, the incumbent) and decides. */
    const evaluate = async (
      commit: string,
      trial: number,
      inFlight: InFlightTrial,
      isBaseline: boolean,
    ): Promise<{
      status: TrialStatus;
      reason: string;
      samples: number[];
      incumbentSamples: number[];
      last: RunOutcome | undefined;
      comparison?: Comparison;
      holdout?: TrialRecord["holdout"];
      runMs: number;
      cases?: CaseScores | undefined;
    }> => {
      const samples: number[] = [];
      const incumbentSamples: number[] = [];
      const candidateCases: (CaseScores | undefined)[] = [];
      let last: RunOutcome | undefined;
      let runMs = 0;
      const repeats = isBaseline ? (evaluation.baselineRepeats ?? evaluation.repeats) : evaluation.repeats;
      const incumbentRuns = isBaseline || incumbent?.commit == null ? 0 : evaluation.incumbentRepeats;

      const runBatch = async (
        from: number,
        count: number,
        incumbentCount: number,
      ): Promise<RunFailure | undefined> => {
        const total = from + count;
        for (let index = 0; index < Math.max(count, incumbentCount); index++) {
          const sample = from + index;
          if (index < count) {
            last = await runOnce(commit, trial, sample, total, "candidate", inFlight);
            runMs += last.result.durationMs;
            if (last.failure !== undefined) return last.failure;
            samples.push(last.measurement.value as number);
            candidateCases.push(last.measurement.cases);
          }
          if (index < incumbentCount && incumbent?.commit) {
            const again = await runOnce(incumbent.commit, trial, sample, total, "incumbent", inFlight);
            runMs += again.result.durationMs;
            if (again.result.interrupted)
              return { status: "interrupted", reason: "the research was stopped" };
            if (again.failure === undefined) {
              incumbentSamples.push(again.measurement.value as number);
              recheckedIncumbent.push(again.measurement.value as number);
              recheckedIncumbentCases.push(again.measurement.cases);
            }
          }
        }
        return undefined;
      };

      const failure = await runBatch(0, repeats, incumbentRuns);
      if (failure !== undefined) return { ...failure, samples, incumbentSamples, last, runMs };
      const measurement = (last as RunOutcome | undefined)?.measurement ?? emptyMeasurement;
      const cases = mergeCaseScores(candidateCases);
      if (isBaseline) {
        return { status: "keep", reason: "baseline", samples, incumbentSamples, last, runMs, cases };
      }
      if (measurement.violations.length > 0) {
        return {
          status: "discard",
          reason: `constraint violated: ${measurement.violations.join("; ")}`,
          samples,
          incumbentSamples,
          last,
          runMs,
          cases,
        };
      }
      const noise = noiseFloor();
      const reference = () =>
        incumbentRuns > 0 && recheckedIncumbent.length > 0 ? recheckedIncumbent : samplesOf(incumbent);
      const referenceCases = () =>
        incumbentRuns > 0 && recheckedIncumbent.length > 0 ? recheckedIncumbentCases : [];
      let comparison = objective.compare({
        candidate: samples,
        incumbent: reference(),
        ...(noise === undefined ? {} : { noiseFloor: noise }),
        ...caseCompareOptions(candidateCases, referenceCases(), incumbent),
      });
      if (comparison.better && evaluation.confirm > 0) {
        const confirmFailure = await runBatch(
          samples.length,
          evaluation.confirm,
          incumbentRuns > 0 ? evaluation.confirm : 0,
        );
        if (confirmFailure !== undefined)
          return { ...confirmFailure, samples, incumbentSamples, last, runMs };
        comparison = objective.compare({
          candidate: samples,
          incumbent: reference(),
          ...(noise === undefined ? {} : { noiseFloor: noise }),
          ...caseCompareOptions(candidateCases, referenceCases(), incumbent),
        });
      }
      let holdout: TrialRecord["holdout"];
      let reason = comparison.reason;
      if (comparison.better && options.holdout !== undefined) {
        const judged = await runHoldout(commit, trial, inFlight);
        runMs += judged.runMs;
        if (judged.failure !== undefined)
          return { ...judged.failure, samples, incumbentSamples, last, runMs, comparison };
        holdout = judged.holdout;
        if (!holdout.passed) {
          reason = `${comparison.reason}; but the holdout regressed: ${holdout.metric} vs ${holdout.incumbent}`;
        }
      }
      const keep = comparison.better && (holdout === undefined || holdout.passed);
      return {
        status: keep ? "keep" : "discard",
        reason,
        samples,
        incumbentSamples,
        last,
        comparison,
        runMs,
        cases: mergeCaseScores(candidateCases),
        ...(holdout === undefined ? {} : { holdout }),
      };
    };

    /** The holdout figures of the incumbent, measured once per incumbent. */
    let incumbentHoldout: number | null | undefined;
    const runHoldout = async (commit: string, trial: number, inFlight: InFlightTrial) => {
      const judge = options.holdout as NonNullable<typeof options.holdout>;
      let runMs = 0;
      const measure = async (target: string, name: string) => {
        const outcome = await runOnce(target, trial, 0, 1, "holdout", inFlight, { ...judge, name });
        runMs += outcome.result.durationMs;
        return outcome;
      };
      if (incumbentHoldout === undefined) incumbentHoldout = incumbent?.holdout?.metric;
      if ((incumbentHoldout === undefined || incumbentHoldout === null) && incumbent?.commit) {
        const outcome = await measure(incumbent.commit, `${trial}-holdout-incumbent`);
        if (outcome.result.interrupted) {
          return { runMs, failure: { status: "interrupted" as const, reason: "the research was stopped" } };
        }
        incumbentHoldout = outcome.failure === undefined ? (outcome.measurement.value ?? null) : null;
      }
      const candidate = await measure(commit, `${trial}-holdout`);
      if (candidate.failure !== undefined) {
        return { runMs, failure: { ...candidate.failure, reason: `holdout: ${candidate.failure.reason}` } };
      }
      const value = candidate.measurement.value as number;
      const reference = incumbentHoldout ?? null;
      const worse =
        reference === null
          ? 0
          : judge.objective.direction === "minimize"
            ? value - reference
            : reference - value;
      const holdout = { metric: value, incumbent: reference, passed: worse <= judge.tolerance };
      return { runMs, holdout, failure: undefined };
    };

    const finishTrial = async (record: TrialRecord) => {
      await append(record);
      if (record.status === "keep" && record.commit !== null && record.kind !== "baseline") {
        await workspace.advance({ from: head, to: record.commit });
        head = record.commit;
        incumbent = record;
        recheckedIncumbent.length = 0;
        recheckedIncumbentCases.length = 0;
        incumbentHoldout = record.holdout?.metric;
      } else if (record.status === "keep") {
        incumbent = record;
      }
      await clearInFlight(stateDirectory);
      emit({ type: "trial-end", record, best: incumbent });
    };

    const toRecord = (
      inFlight: InFlightTrial,
      outcome: Awaited<ReturnType<typeof evaluate>> | undefined,
      status: TrialStatus,
      reason: string,
      durations: { proposeMs: number; runMs: number },
      extra: Partial<TrialRecord> = {},
    ): TrialRecord => {
      const last = outcome?.last;
      const samples = outcome?.samples ?? [];
      return {
        id: inFlight.id,
        tag,
        kind: inFlight.kind,
        ...(inFlight.repairOf === undefined ? {} : { repairOf: inFlight.repairOf }),
        parent: inFlight.parent,
        commit: inFlight.commit,
        description: inFlight.description,
        status,
        reason,
        metric: samples.length > 0 ? mean(samples) : null,
        metrics: last?.measurement.metrics ?? {},
        ...(samples.length > 1 ? { samples } : {}),
        ...(outcome !== undefined && outcome.incumbentSamples.length > 0
          ? { incumbentSamples: outcome.incumbentSamples }
          : {}),
        ...(outcome?.comparison === undefined ? {} : { comparison: outcome.comparison }),
        ...(outcome?.holdout === undefined ? {} : { holdout: outcome.holdout }),
        ...(outcome?.cases === undefined ? {} : { cases: outcome.cases }),
        changedFiles: inFlight.changedFiles,
        run:
          last === undefined
            ? null
            : {
                exitCode: last.result.exitCode,
                signal: last.result.signal,
                timedOut: last.result.timedOut,
                durationMs: last.result.durationMs,
              },
        log: last === undefined ? null : `logs/${last.result.logFile.split(/[\\/]/).pop()}`,
        proposer: inFlight.proposer,
        durations: {
          proposeMs: durations.proposeMs,
          runMs: durations.runMs,
          totalMs: Date.now() - Date.parse(inFlight.startedAt),
        },
        startedAt: inFlight.startedAt,
        endedAt: new Date().toISOString(),
        ...extra,
      };
    };

    // Baseline: the unchanged code, measured as a trial of its own.
    const hasBaseline = keptBaseline(records) !== undefined;
    if (!hasBaseline && options.baseline && !abortSignal.aborted) {
      const id = nextId++;
      const inFlight: InFlightTrial = {
        id,
        kind: "baseline",
        parent: head,
        commit: head,
        description: "baseline",
        changedFiles: [],
        proposer: { name: "baseline" },
        processGroups: [],
        startedAt: new Date().toISOString(),
      };
      await writeInFlight(stateDirectory, inFlight);
      emit({ type: "trial-start", trial: id, kind: "baseline", parent: head });
      await workspace.markTrial(id, head);
      const outcome = await evaluate(head, id, inFlight, true);
      const reason = outcome.status === "keep" ? "baseline" : `baseline ${outcome.status}: ${outcome.reason}`;
      const statistics =
        outcome.samples.length > 1
          ? {
              comparison: {
                better: false,
                delta: 0,
                reason: `noise floor from ${outcome.samples.length} baseline runs`,
                rule: "baseline",
                statistics: {
                  mean: mean(outcome.samples),
                  sd: Math.sqrt(
                    outcome.samples.reduce((sum, value) => sum + (value - mean(outcome.samples)) ** 2, 0) /
                      (outcome.samples.length - 1),
                  ),
                },
              },
            }
          : {};
      await finishTrial(
        toRecord(
          inFlight,
          outcome,
          outcome.status,
          reason,
          { proposeMs: 0, runMs: outcome.runMs },
          statistics,
        ),
      );
      if (outcome.status !== "keep")
        stopReason = outcome.status === "interrupted" ? "aborted" : "baseline-failed";
    } else if (!hasBaseline && !options.baseline && incumbent === undefined) {
      warnings.push(
        "No baseline was measured: every candidate is compared against nothing and kept if it runs.",
      );
    }

    while (stopReason === undefined) {
      stopReason = shouldStop();
      if (stopReason !== undefined) break;

      const id = nextId++;
      const parent = repair?.trial.commit ?? head;
      const inFlight: InFlightTrial = {
        id,
        kind: repair === undefined ? "proposal" : "repair",
        ...(repair === undefined ? {} : { repairOf: repair.trial.id }),
        parent,
        commit: null,
        description: repair === undefined ? "(proposing)" : `(repairing trial ${repair.trial.id})`,
        changedFiles: [],
        proposer: { name: mutator.name },
        processGroups: [],
        startedAt: new Date().toISOString(),
      };
      await writeInFlight(stateDirectory, inFlight);
      emit({
        type: "trial-start",
        trial: id,
        kind: inFlight.kind,
        parent,
        ...(repair === undefined ? {} : { repair }),
      });

      await workspace.checkout(parent);
      currentCheckout = parent;
      const proposeStarted = Date.now();
      let proposal: Proposal;
      try {
        proposal = await mutator.propose({
          directory: trialDirectory,
          trial: id,
          scope: options.scope,
          history: records,
          incumbent,
          objective: { metric: objective.metric, direction: objective.direction },
          ...(repair === undefined ? {} : { repair }),
          readDiff: (trial) =>
            trial.commit === null || trial.commit === trial.parent
              ? Promise.resolve("")
              : workspace.diff(trial.parent, trial.commit),
          abortSignal,
        });
      } catch (error) {
        proposal = { type: "failed", error: error instanceof Error ? error.message : String(error) };
      }
      const proposeMs = Date.now() - proposeStarted;
      const repairing = repair;
      repair = undefined;

      if (proposal.type === "exhausted") {
        // Nothing was tried: forget the number and the marker.
        nextId--;
        await clearInFlight(stateDirectory);
        stopReason = "exhausted";
        emit({ type: "proposal-end", trial: id, proposal, changedFiles: [], durationMs: proposeMs });
        break;
      }
      inFlight.proposer = {
        name: mutator.name,
        ...(proposal.metadata === undefined ? {} : { metadata: proposal.metadata }),
        ...(proposal.usage === undefined ? {} : { usage: proposal.usage }),
        ...(proposal.costUsd === undefined ? {} : { costUsd: proposal.costUsd }),
      };
      inFlight.description =
        proposal.type === "edit"
          ? proposal.description.split("\n")[0]?.trim() || "(no description)"
          : "(failed proposal)";

      const changedFiles = await workspace.stage();
      inFlight.changedFiles = changedFiles;
      emit({ type: "proposal-end", trial: id, proposal, changedFiles, durationMs: proposeMs });
      const rationale =
        proposal.type === "edit" && proposal.rationale ? { rationale: proposal.rationale } : {};

      if (abortSignal.aborted) {
        await finishTrial(
          toRecord(inFlight, undefined, "interrupted", "the research was stopped during the proposal", {
            proposeMs,
            runMs: 0,
          }),
        );
        stopReason = "aborted";
        break;
      }
      if (changedFiles.length > 0) {
        inFlight.commit = await workspace.commit({
          parent,
          trial: id,
          message: `autoresearch ${tag} trial ${id}: ${inFlight.description}`,
        });
        currentCheckout = inFlight.commit;
        await writeInFlight(stateDirectory, inFlight);
      }

      let invalid: string | undefined;
      if (proposal.type === "failed") invalid = `proposal failed: ${proposal.error}`;
      else if (changedFiles.length === 0) invalid = "the proposal changed nothing";
      else {
        const check = checkScope(changedFiles, options.scope);
        if (check.protected.length > 0)
          invalid = `the proposal edits protected files: ${check.protected.join(", ")}`;
        else if (check.outside.length > 0) {
          invalid = `the proposal edits files outside the editable scope: ${check.outside.join(", ")}`;
        }
      }
      if (invalid !== undefined) {
        consecutiveFailures++;
        await finishTrial(
          toRecord(inFlight, undefined, "invalid", invalid, { proposeMs, runMs: 0 }, rationale),
        );
        if (consecutiveFailures >= options.maxConsecutiveFailures) stopReason = "proposal-failures";
        continue;
      }
      consecutiveFailures = 0;

      const outcome = await evaluate(inFlight.commit as string, id, inFlight, false);
      const record = toRecord(
        inFlight,
        outcome,
        outcome.status,
        outcome.reason,
        { proposeMs, runMs: outcome.runMs },
        rationale,
      );
      await finishTrial(record);
      if (outcome.status === "interrupted") {
        stopReason = "aborted";
        break;
      }
      if (outcome.status === "crash" && options.repairAttempts > 0) {
        const attempt = repairing === undefined ? 1 : repairing.attempt + 1;
        if (attempt <= options.repairAttempts) {
          repair = {
            trial: record,
            logTail: outcome.last?.result.outputTail ?? "",
            attempt,
          };
        }
      }
    }

    const finalState = state();
    // Hook: the sealed test (src/loop/final-evaluation.ts), once at the end; it never feeds a decision.
    const finalEvaluation = await runFinalEvaluation({
      settings: options.finalEvaluation,
      workspace,
      best: finalState.best,
      baseline: finalState.baseline,
      stopReason: stopReason ?? "aborted",
      env: { ...options.env, [stateVariable]: stateDirectory },
      seedVariable: evaluation.seedVariable,
      emit,
      abortSignal,
    });
    const summary: ResearchSummary = {
      tag,
      directory: workspace.directory,
      branch: workspace.branch,
      baseline: finalState.baseline,
      best: finalState.best,
      records,
      trials: sessionRecords.length,
      kept: sessionRecords.filter((record) => record.status === "keep" && record.kind !== "baseline").length,
      stopReason: stopReason ?? "aborted",
      ledgerFile,
      durationMs: Date.now() - started,
      ...(finalEvaluation === undefined ? {} : { finalEvaluation }),
    };
    emit({ type: "research-end", summary });
    return summary;
  } finally {
    await workspace.release();
  }
}

/**
 * Runs the research loop and yields its events as they happen; the generator's return value is the summary.
 * Breaking out of the iteration stops the research as an abort would: the current trial is recorded first.
 */
export async function* streamResearch(
  options: ResearchOptions,
): AsyncGenerator<ResearchEvent, ResearchSummary> {
  const normalized = normalizeResearchOptions(options);
  const controller = new AbortController();
  const external = normalized.abortSignal;
  const forward = () => controller.abort(external?.reason);
  if (external?.aborted) forward();
  external?.addEventListener("abort", forward, { once: true });
  const channel = createEventChannel<ResearchEvent>();
  const driving = drive(normalized, channel, controller.signal).then(
    (summary) => {
      channel.close();
      return summary;
    },
    (error: unknown) => {
      channel.close(error);
      throw error;
    },
  );
  driving.catch(() => undefined);
  let finished = false;
  try {
    for await (const event of channel) yield event;
    finished = true;
    return await driving;
  } finally {
    external?.removeEventListener("abort", forward);
    if (!finished) {
      controller.abort(new Error("the consumer stopped reading the research events"));
      await driving.catch(() => undefined);
    }
  }
}

/** Runs the research loop to its end and resolves with the summary; `onEvent` sees every event. */
export async function runResearch(options: RunResearchOptions): Promise<ResearchSummary> {
  const { onEvent, ...rest } = options;
  const iterator = streamResearch(rest);
  for (;;) {
    const next = await iterator.next();
    if (next.done) return next.value;
    onEvent?.(next.value);
  }
}
