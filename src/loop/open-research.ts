import { join } from "node:path";
import { createJsonlLedger } from "../ledgers/jsonl-ledger.js";
import type { SandboxSettings } from "../sandbox/sandbox-options.js";
import type { ResearchEvent } from "../spec/events.js";
import type { TrialRecord } from "../spec/records.js";
import type { Workspace } from "../workspace/workspace.js";
import { createSerializer, type LoopContext } from "./loop-context.js";
import { recoverDeadDriver } from "./recovery.js";
import { openResearchGuard } from "./research-guard.js";
import type { NormalizedResearchOptions } from "./research-options.js";
import { createLoopState } from "./research-state.js";
import { verifyResearchState } from "./verify-state.js";

export interface OpenedResearch {
  context: LoopContext;
  ledgerFile: string;
  /** Every record of the ledger, resumed ones and those recovered now. */
  records: TrialRecord[];
  /** How many records the ledger had before this start recovered anything. */
  resumed: number;
  /** The branch was accepted as it is: it must be measured as a new baseline first. */
  rebaseline: boolean;
  warnings: string[];
}

/**
 * Everything a start does before the first trial, in order: the ledger read, the guard opened (sandbox policies,
 * the research's token, the secrets), what a dead driver left stopped and recorded, the state only the harness
 * writes verified (the branch at the last keep, every keep at its trial ref, protected files as at the baseline;
 * anything else stops here, with how to continue), and the loop's state and context made.
 */
export async function openResearch(options: {
  research: NormalizedResearchOptions;
  workspace: Workspace;
  sandboxSettings: SandboxSettings | undefined;
  startedAt: number;
  now: () => number;
  emit: (event: ResearchEvent, options?: { droppable?: boolean }) => void;
  abortSignal: AbortSignal;
}): Promise<OpenedResearch> {
  const { research, workspace, now, abortSignal } = options;
  const { stateDirectory, tag } = workspace;
  const ledgerFile = join(stateDirectory, "ledger.jsonl");
  const ledger =
    research.ledger ??
    createJsonlLedger({
      file: ledgerFile,
      resultsFile: join(stateDirectory, "results.tsv"),
      metric: research.objective.metric,
    });
  const records = await ledger.read();
  const resumed = records.length;
  const guard = await openResearchGuard(research, options.sandboxSettings, workspace);
  const recovered = await recoverDeadDriver({
    workspace,
    ledger,
    records,
    now,
    runners: [research.runner, ...(research.holdout === undefined ? [] : [research.holdout.runner])],
    abortSignal,
    token: guard.token,
  });
  const verified = await verifyResearchState({
    records,
    workspace,
    ledgerFile,
    acceptBranch: research.acceptBranch,
  });
  const state = createLoopState({
    tag,
    direction: research.objective.direction,
    ledger,
    records,
    head: verified.head,
    startedAt: options.startedAt,
    now,
    redact: (record) => guard.redact(record),
  });
  state.sessionRecords.push(...recovered.interrupted);
  const context: LoopContext = {
    options: research,
    workspace,
    state,
    guard,
    abortSignal,
    now,
    emit: options.emit,
    exclusive: createSerializer(),
  };
  return {
    context,
    ledgerFile,
    records,
    resumed,
    rebaseline: verified.rebaseline,
    warnings: [...workspace.warnings, ...recovered.warnings, ...verified.warnings, ...guard.warnings],
  };
}
