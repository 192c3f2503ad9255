import type { ResearchEvent } from "../spec/events.js";
import type { Workspace, Worktree } from "../workspace/workspace.js";
import type { ResearchGuard } from "./research-guard.js";
import type { NormalizedResearchOptions } from "./research-options.js";
import type { LoopState } from "./research-state.js";

/** Where runs happen: one worktree and its environment (e.g. the GPU it owns). */
export interface Slot {
  index: number;
  name: string;
  env: Record<string, string>;
  worktree: Worktree;
}

/** What every step of the loop works with: the options, the repository, the state, the clock, the events. */
export interface LoopContext {
  options: NormalizedResearchOptions;
  workspace: Workspace;
  state: LoopState;
  /** The research's sandbox policies, token and secrets. */
  guard: ResearchGuard;
  /** Aborted when the research stops (Ctrl-C, an abort signal, the consumer stopped reading events). */
  abortSignal: AbortSignal;
  now(): number;
  emit(event: ResearchEvent, options?: { droppable?: boolean }): void;
  /**
   * Runs `task` with nothing else of the same kind in between: decisions, records and branch moves happen one at
   * a time, whatever the slots do.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
}

/** A function that runs tasks one after another, in the order they were given. */
export function createSerializer(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}
