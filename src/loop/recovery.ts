import { killByEnvironment } from "../runners/process-group.js";
import type { Ledger } from "../spec/ledger.js";
import type { TrialRecord } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import type { Workspace } from "../workspace/workspace.js";
import { clearAllInFlight, readAllInFlight } from "./in-flight.js";
import { recoverLeftoverRuns } from "./recover-runs.js";
import { researchTokenVariable } from "./research-guard.js";
import { buildTrialRecord } from "./trial-record.js";

export interface RecoverOptions {
  workspace: Workspace;
  /** The research's runners (main and holdout), asked to stop what they left (cluster jobs). */
  runners: readonly Runner[];
  abortSignal: AbortSignal;
  ledger: Ledger;
  /** The records read from the ledger; recovered ones are appended to it. */
  records: TrialRecord[];
  now: () => number;
  /** The research's token: every experiment it started carries it in its environment. */
  token: string;
}

export interface Recovered {
  /** Records of trials a dead driver left in flight, now in the ledger as interrupted. */
  interrupted: TrialRecord[];
  warnings: string[];
}

/**
 * Cleans up after a driver that died, whatever it was doing: what its experiments left running is stopped (cluster
 * jobs through their runner, local processes by the research's token), and every trial it had in flight is recorded
 * as interrupted (once). The branch is checked afterwards, by `verifyResearchState`.
 */
export async function recoverDeadDriver(options: RecoverOptions): Promise<Recovered> {
  const { workspace, ledger, records, now } = options;
  const { stateDirectory } = workspace;
  const leftovers = await readAllInFlight(stateDirectory);
  // Process groups and cluster jobs the markers name, and what runners find of their own; jobs first, through
  // their scheduler, before the search for local processes.
  const warnings = await recoverLeftoverRuns({
    runners: options.runners,
    tag: workspace.tag,
    stateDirectory,
    leftovers,
    abortSignal: options.abortSignal,
  });
  // Its experiments carry the research's token in their environment, which finds them even when the driver died
  // before it could record their process group (in the sandbox, their PID namespace died with the driver).
  await killByEnvironment(researchTokenVariable, options.token);
  const interrupted: TrialRecord[] = [];
  for (const trial of leftovers) {
    if (records.some((record) => record.id === trial.id)) continue;
    const record = buildTrialRecord({
      tag: workspace.tag,
      trial,
      status: "interrupted",
      reason: "the driver stopped during this trial",
      proposeMs: 0,
      now: now(),
    });
    await ledger.append({ record });
    records.push(record);
    interrupted.push(record);
  }
  await clearAllInFlight(stateDirectory);

  return { interrupted, warnings };
}
