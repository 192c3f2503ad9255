import type { AppendOptions, Ledger } from "../spec/ledger.js";
import type { TrialRecord } from "../spec/records.js";

/** An in-memory ledger, optionally seeded with records (to test resuming). */
export class MockLedger implements Ledger {
  readonly name = "mock-ledger";
  readonly records: TrialRecord[];

  constructor(options: { records?: TrialRecord[] } = {}) {
    this.records = [...(options.records ?? [])];
  }

  async append({ record }: AppendOptions): Promise<void> {
    this.records.push(structuredClone(record));
  }

  async read(): Promise<TrialRecord[]> {
    return structuredClone(this.records);
  }
}
