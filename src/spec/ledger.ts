import type { TrialRecord } from "./records.js";

export interface AppendOptions {
  record: TrialRecord;
}

/**
 * What happened, durably. `append` resolves only once the record is on disk: the loop moves the branch after it.
 */
export interface Ledger {
  readonly name: string;
  append(options: AppendOptions): Promise<void>;
  /** Every record, in the order appended. */
  read(): Promise<TrialRecord[]>;
}
