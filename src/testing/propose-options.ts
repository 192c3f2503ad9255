import type { ProposeOptions } from "../spec/mutator.js";

/**
 * The options the loop passes to `propose`, with neutral values (empty history, no incumbent, everything
 * editable, a live abort signal), for testing a mutator outside the loop: pass what matters to the test.
 */
export function createProposeOptions(
  overrides: Partial<ProposeOptions> & { directory: string },
): ProposeOptions {
  return {
    trial: 1,
    scope: { editable: ["**"], protected: [] },
    history: [],
    incumbent: undefined,
    objective: { metric: "loss", direction: "minimize" },
    readDiff: async () => "",
    abortSignal: new AbortController().signal,
    ...overrides,
  };
}
