import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import { nextScripted, type Scripted } from "./values.js";

/**
 * A scripted edit: files to write (a string) or delete (`null`), relative to the researched directory, and the
 * proposal to return. A `Proposal` of type `failed` or `exhausted` is returned as it is, with no edit.
 */
export interface MockEdit {
  files?: Record<string, string | null>;
  description?: string;
  rationale?: string;
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  costUsd?: number;
  metadata?: Record<string, unknown>;
}

/** A mutator that applies scripted edits. `calls` records every call's options. */
export class MockMutator implements Mutator {
  readonly name: string;
  readonly calls: ProposeOptions[] = [];
  private readonly script: Scripted<MockEdit | Proposal, ProposeOptions>;

  constructor(options: { propose: Scripted<MockEdit | Proposal, ProposeOptions>; name?: string }) {
    this.script = options.propose;
    this.name = options.name ?? "mock-mutator";
  }

  async propose(options: ProposeOptions): Promise<Proposal> {
    const call = this.calls.length;
    this.calls.push(options);
    const scripted = await nextScripted(this.script, options, call);
    if ("type" in scripted) return scripted;
    for (const [file, content] of Object.entries(scripted.files ?? {})) {
      const path = join(options.directory, file);
      if (content === null) await rm(path, { force: true });
      else {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
      }
    }
    return {
      type: "edit",
      description: scripted.description ?? `edit ${Object.keys(scripted.files ?? {}).join(", ")}`,
      ...(scripted.rationale === undefined ? {} : { rationale: scripted.rationale }),
      ...(scripted.usage === undefined ? {} : { usage: scripted.usage }),
      ...(scripted.costUsd === undefined ? {} : { costUsd: scripted.costUsd }),
      ...(scripted.metadata === undefined ? {} : { metadata: scripted.metadata }),
    };
  }
}
