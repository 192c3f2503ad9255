import type { Scope } from "./mutator.js";
import type { TrialRecord } from "./records.js";

/**
 * What a role's `preflight` may look at. The loop calls it once at every start, before the baseline, so that a
 * mistake (a program not installed, a key not set, a file not there) is found in a second, not after a run.
 */
export interface PreflightOptions {
  /** The researched directory in the trial worktree, checked out at the incumbent: what the next trial sees. */
  directory: string;
  /** The researched directory in the user's own checkout, where untracked files (a virtualenv, data) live. */
  checkout: string;
  scope: Scope;
  /** The environment every run gets on top of this process's: the research's `env` and the loop's variables. */
  env: Record<string, string>;
  /** Every trial recorded so far (empty before the baseline). */
  history: readonly TrialRecord[];
  abortSignal: AbortSignal;
}

/** What a check found fine and what looks doubtful without being wrong, one line each. */
export interface PreflightResult {
  passed?: string[];
  warnings?: string[];
}

/**
 * An optional check a role may implement: it resolves when the role can work (with warnings, if any), and throws an
 * error whose message says what is wrong and how to fix it otherwise. It must be quick (no experiment, no model
 * call; a cluster runner's tiny probe job is the exception) and change nothing the research relies on.
 */
export type Preflight = (
  options: PreflightOptions,
  // biome-ignore lint/suspicious/noConfusingVoidType: a check that finds nothing to say returns nothing, async or not.
) => Promise<void | PreflightResult> | void | PreflightResult;
