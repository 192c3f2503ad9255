import { writeResearchDescription } from "../ledgers/research-description.js";
import type { ResearchEvent, ResearchSummary, StopReason } from "../spec/events.js";
import type { TrialRecord } from "../spec/records.js";
import { openWorkspace } from "../workspace/workspace.js";
import { baselineStatistics, evaluateCandidate } from "./evaluate-candidate.js";
import { createEventChannel, type EventChannel } from "./event-channel.js";
import { runFinalEvaluation } from "./final-evaluation.js";
import { type InFlightTrial, writeInFlight } from "./in-flight.js";
import type { LoopContext, Slot } from "./loop-context.js";
import { openResearch } from "./open-research.js";
import { preflightResearch, researchEnvironment } from "./preflight.js";
import { researchSandboxSettings } from "./research-guard.js";
import {
  type NormalizedResearchOptions,
  normalizeResearchOptions,
  type ResearchOptions,
  type RunResearchOptions,
} from "./research-options.js";
import { keptBaseline } from "./research-state.js";
import { checkStop, schedule } from "./scheduler.js";
import { recordTrial } from "./settle-trial.js";
import { resolveSlots, slotWorktreeName } from "./slots.js";
import { buildTrialRecord } from "./trial-record.js";

/**
 * Interrupted trials whose change was never measured to the end and never tried again: a resumed research tries
 * each once more before proposing anything new, so an idea is not lost to a Ctrl-C or a crash of the driver.
 */
function interruptedToRetry(records: readonly TrialRecord[]): TrialRecord[] {
  const retried = new Set(
    records.flatMap((record) => (record.rebaseOf === undefined ? [] : [record.rebaseOf])),
  );
  return records.filter(
    (record) =>
      record.status === "interrupted" &&
      record.kind !== "baseline" &&
      record.commit !== null &&
      record.commit !== record.parent &&
      record.rebasedAs === undefined &&
      !retried.has(record.id),
  );
}

/** Measures the unchanged code, as a trial of its own, in the first slot. */
async function measureBaseline(context: LoopContext, slot: Slot): Promise<StopReason | undefined> {
  const { state, workspace } = context;
  const id = state.reserveId();
  const trial: InFlightTrial = {
    id,
    kind: "baseline",
    parent: state.head,
    commit: state.head,
    description: "baseline",
    changedFiles: [],
    proposer: { name: "baseline" },
    slot: slot.index,
    processGroups: [],
    startedAt: new Date(context.now()).toISOString(),
  };
  state.inFlight.set(id, trial);
  await writeInFlight(workspace.stateDirectory, trial);
  context.emit({ type: "trial-start", trial: id, kind: "baseline", parent: state.head, slot: slot.index });
  await workspace.markTrial(id, state.head);
  const evaluation = await evaluateCandidate(context, {
    slot,
    trial,
    commit: state.head,
    reference: undefined,
    isBaseline: true,
  });
  const reason =
    evaluation.status === "keep" ? "baseline" : `baseline ${evaluation.status}: ${evaluation.reason}`;
  await context.exclusive(() =>
    recordTrial(
      context,
      buildTrialRecord({
        tag: state.tag,
        trial,
        evaluation,
        status: evaluation.status,
        reason,
        proposeMs: 0,
        now: context.now(),
        extra: baselineStatistics(evaluation.samples) ?? {},
      }),
    ),
  );
  if (evaluation.status === "keep") return undefined;
  return evaluation.status === "interrupted" ? "aborted" : "baseline-failed";
}

/** The sealed test, once at the end, in the first slot's worktree and sandbox; it never feeds a decision. */
function sealedTest(context: LoopContext, first: Slot, stopReason: StopReason) {
  const { workspace, guard, options } = context;
  const finalState = context.state.snapshot();
  return runFinalEvaluation({
    settings: options.finalEvaluation,
    workspace: {
      tag: workspace.tag,
      stateDirectory: workspace.stateDirectory,
      trialDirectory: first.worktree.directory,
      checkout: (commit) => first.worktree.checkout(commit),
      changedProtectedFiles: () => first.worktree.changedProtectedFiles(),
    },
    best: finalState.best,
    baseline: finalState.baseline,
    stopReason,
    env: { ...options.env, ...researchEnvironment(workspace), ...guard.environment },
    seedVariable: options.evaluation.seedVariable,
    sandbox: guard.runPolicy(first.worktree),
    secrets: guard.secrets,
    emit: (event) => context.emit(event),
    abortSignal: context.abortSignal,
  });
}

async function drive(
  options: NormalizedResearchOptions,
  channel: EventChannel<ResearchEvent>,
  abortSignal: AbortSignal,
): Promise<ResearchSummary> {
  const now = options.clock ?? Date.now;
  const started = now();
  const { objective, mutator, runner } = options;
  const settings = await resolveSlots(options);
  // Before anything is created: `sandbox: "required"` without bubblewrap refuses here.
  const sandboxSettings = await researchSandboxSettings(options);
  const workspace = await openWorkspace({
    directory: options.directory,
    tag: options.tag,
    protected: options.scope.protected,
  });
  const { stateDirectory, tag } = workspace;
  try {
    const opened = await openResearch({
      research: options,
      workspace,
      sandboxSettings,
      startedAt: started,
      now,
      emit: (event, emitOptions) => channel.push(event, emitOptions),
      abortSignal,
    });
    const { context, records, ledgerFile } = opened;
    const { state, guard } = context;
    const warnings = [...opened.warnings, ...settings.warnings];
    // Mistakes found in a second (a program missing, a key unset, a glob matching nothing), before any run.
    warnings.push(...(await preflightResearch({ options, workspace, records, abortSignal })));
    await writeResearchDescription(stateDirectory, {
      tag,
      metric: objective.metric,
      direction: objective.direction,
      branch: workspace.branch,
      objective: objective.name,
      mutator: mutator.name,
      runner: runner.name,
      startedAt: new Date(started).toISOString(),
      sandbox: guard.sandbox.summary,
    });
    const slots: Slot[] = [];
    for (const [index, setting] of settings.slots.entries()) {
      slots.push({ index, ...setting, worktree: await workspace.worktree(slotWorktreeName(index)) });
    }
    const lanes = [];
    for (let index = 0; index < options.proposeAhead; index++) {
      lanes.push(await workspace.worktree(`ahead-${index}`));
    }

    let stopReason: StopReason | undefined;
    const hasBaseline = keptBaseline(records) !== undefined;
    if (!hasBaseline && !options.baseline && state.incumbent === undefined) {
      warnings.push(
        "No baseline was measured: every candidate is compared against nothing and kept if it runs.",
      );
    }
    context.emit({
      type: "research-start",
      tag,
      directory: workspace.directory,
      branch: workspace.branch,
      resumed: opened.resumed,
      warnings,
      slots: slots.length,
    });
    if (((!hasBaseline && options.baseline) || opened.rebaseline) && !abortSignal.aborted) {
      stopReason = await measureBaseline(context, slots[0] as Slot);
    }
    if (stopReason === undefined) {
      stopReason =
        checkStop(context) ??
        (await schedule(context, { slots, lanes, retries: interruptedToRetry(records) }));
    }

    const finalEvaluation = await sealedTest(context, slots[0] as Slot, stopReason ?? "aborted");
    const finalState = state.snapshot();
    const summary: ResearchSummary = {
      tag,
      directory: workspace.directory,
      branch: workspace.branch,
      baseline: finalState.baseline,
      best: finalState.best,
      direction: objective.direction,
      records,
      trials: state.sessionRecords.length,
      kept: state.sessionRecords.filter((record) => record.status === "keep" && record.kind !== "baseline")
        .length,
      slots: slots.length,
      computeMs: state.sessionRecords.reduce((sum, record) => sum + record.durations.runMs, 0),
      stopReason: stopReason ?? "aborted",
      ledgerFile,
      durationMs: now() - started,
      ...(finalEvaluation === undefined ? {} : { finalEvaluation }),
    };
    context.emit({ type: "research-end", summary });
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
