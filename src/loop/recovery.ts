import { killByEnvironment } from "../runners/process-group.js";
import type { Ledger } from "../spec/ledger.js";
import type { TrialRecord } from "../spec/records.js";
import type { Runner } from "../spec/runner.js";
import type { Workspace } from "../workspace/workspace.js";
import { clearAllInFlight, readAllInFlight } from "./in-flight.js";
import { stateVariable } from "./loop-context.js";
import { recoverLeftoverRuns } from "./recover-runs.js";
import { lastKept } from "./research-state.js";
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
}

export interface Recovered {
  /** The branch head once recovery is done. */
  head: string;
  /** Records of trials a dead driver left in flight, now in the ledger as interrupted. */
  interrupted: TrialRecord[];
  warnings: string[];
}

/**
 * Puts the research back in a consistent state after a driver died, whatever it was doing: what its experiments
 * left running is killed, every trial it had in flight is recorded as interrupted (once), and a keep that was
 * recorded before the branch could move is completed.
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
  // Its experiments carry the state directory in their environment, which finds them even when the driver died
  // before it could record their process group.
  await killByEnvironment(stateVariable, stateDirectory);
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

  let head = await workspace.branchHead();
  const incumbent = lastKept(records);
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
  return { head, interrupted, warnings };
}
