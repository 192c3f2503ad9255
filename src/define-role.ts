import type { Ledger } from "./spec/ledger.js";
import type { Mutator } from "./spec/mutator.js";
import type { Objective } from "./spec/objective.js";
import type { Runner } from "./spec/runner.js";

/** Identity helper that types a hand-written runner. */
export function defineRunner<T extends Runner>(runner: T): T {
  return runner;
}

/** Identity helper that types a hand-written mutator. */
export function defineMutator<T extends Mutator>(mutator: T): T {
  return mutator;
}

/** Identity helper that types a hand-written objective. */
export function defineObjective<T extends Objective>(objective: T): T {
  return objective;
}

/** Identity helper that types a hand-written ledger. */
export function defineLedger<T extends Ledger>(ledger: T): T {
  return ledger;
}
