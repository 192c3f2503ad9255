import { dirname, join } from "node:path";
import { truncate } from "../report/format-values.js";
import { reasonOf } from "../report/report-data.js";
import type { ResearchSummary } from "../spec/events.js";
import type { TrialRecord } from "../spec/records.js";

function exitHint(record: TrialRecord): string {
  const code = record.run?.exitCode;
  if (code === 127) return " (exit code 127: the shell did not find the command)";
  if (code === 126) return " (exit code 126: the command is not executable)";
  return "";
}

function logOf(summary: ResearchSummary, record: TrialRecord): string {
  return record.log === null ? "" : ` Its log is ${join(dirname(summary.ledgerFile), record.log)}.`;
}

/**
 * The paragraph printed on stderr when a research stops with exit code 1: what failed, why (the reason recorded
 * in the ledger), where the log is, and what to do. `undefined` for any other ending.
 */
export function explainStop(summary: ResearchSummary): string | undefined {
  if (summary.stopReason === "baseline-failed") {
    const baseline = summary.records.findLast((record) => record.kind === "baseline");
    if (baseline === undefined) return undefined;
    const reason = reasonOf(baseline);
    return (
      `The research stopped because the baseline (trial ${baseline.id}, the unchanged code) failed: ` +
      `${truncate(reason, 400)}${exitHint(baseline)}. Nothing can be compared or kept until the unchanged code ` +
      `runs and prints its metric, so no proposal was tried.${logOf(summary, baseline)} Fix the command, the code ` +
      "or the objective's metric, then run the same command again: the baseline is measured anew."
    );
  }
  if (summary.stopReason === "proposal-failures") {
    const failures: TrialRecord[] = [];
    for (const record of [...summary.records].reverse()) {
      if (record.status !== "invalid") break;
      failures.push(record);
    }
    const reasons = [...new Set(failures.map((record) => record.reason.replace(/^proposal failed: /, "")))];
    const shown = reasons
      .slice(0, 2)
      .map((reason) => `"${truncate(reason, 300)}"`)
      .join(", then ");
    return (
      `The research stopped because the last ${failures.length} proposals in a row produced nothing to run ` +
      `(the limit is \`maxConsecutiveFailures\`). The proposer said: ${shown}${reasons.length > 2 ? ", and more" : ""}. ` +
      "Fix what it names (a key, a model, the instructions, the scope), then run the same command again: the " +
      "research resumes where it stopped."
    );
  }
  return undefined;
}
