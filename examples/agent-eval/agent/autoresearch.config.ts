// The support agent's research: raise its pass rate on the dev cases of its promptfoo suite, check the holdout
// before each keep, and run the sealed test once at the end. `npm run example:agent-eval` copies this folder to
// examples/agent-eval/work and runs it there; `npx autoresearch status|report|ablate` work there too.
//
// Offline (default): the agent's model is a deterministic stand-in and the proposer a queue of patches.
// AGENT_EVAL_LLM=1 (with OPENAI_API_KEY): a real model answers the tickets and an LLM proposes the changes.
import { join } from "node:path";

const here = import.meta.dirname;
// promptfoo and the hidden splits live in the example folder, outside this repository: no proposer reads them.
const example = process.env.AGENT_EVAL_HOME ?? join(here, "..");
const llm = process.env.AGENT_EVAL_LLM === "1";
// promptfoo's own state (its database and logs), in the example folder: the one place its runs may write besides
// the trial worktree, declared writable for the sandbox (the research's .autoresearch/ is hidden from runs).
const promptfooState = join(example, ".promptfoo");

/** promptfoo on one split of the suite; holdout and test cases come from the hidden folder. */
function suite(split: "dev" | "holdout" | "test") {
  const config = "eval/promptfooconfig.yaml";
  return {
    promptfoo: {
      command: [join(example, "node_modules", ".bin", "promptfoo")],
      config: split === "dev" ? config : [config, join(example, "hidden", `${split}.yaml`)],
      output: `results-${split}.json`,
      args: ["--filter-metadata", `split=${split}`],
      env: { PROMPTFOO_CONFIG_DIR: promptfooState },
      timeoutMs: 600_000,
    },
  };
}

function passRate(split: "dev" | "holdout" | "test") {
  // Decided case by case: the exact test on the cases that flipped, at the default alpha of 0.05.
  return { promptfoo: { file: `results-${split}.json`, constraints: { "cost.total": { max: 0.05 } } } };
}

export default {
  tag: "agent-eval",
  runner: suite("dev"),
  objective: passRate("dev"),
  mutator: llm
    ? { llm: { model: process.env.AGENT_EVAL_PROPOSER ?? "openai:gpt-5", instructions: "program.md" } }
    : { patches: "patches" },
  scope: {
    editable: ["prompts/**", "src/**"],
    protected: ["eval/**", "data/**", "patches/**", "program.md", "autoresearch.config.ts"],
  },
  holdout: { runner: suite("holdout"), objective: passRate("holdout"), tolerance: 0 },
  finalEvaluation: { runner: suite("test"), objective: passRate("test") },
  stop: llm ? { maxTrials: 25, patience: 8 } : { maxTrials: 7 },
  // The model server the LLM agent calls needs the network; runs read promptfoo and the hidden splits from the
  // example folder (declared, so they are there also when it lies under /tmp, which runs see a private copy of)
  // and promptfoo writes its state where declared.
  sandbox: {
    network: llm,
    readOnly: [join(example, "node_modules"), join(example, "hidden")],
    writable: [promptfooState],
  },
};
