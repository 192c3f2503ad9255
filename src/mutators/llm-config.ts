import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { Mutator } from "../spec/mutator.js";
import { type AgentMutatorOptions, createAgentMutator } from "./agent-mutator.js";
import { createLlmMutator, type LlmMutatorOptions } from "./llm-mutator.js";

/**
 * A config file's `mutator`: a Mutator object, or a declarative proposer such as
 * `{ llm: { model: "openai:gpt-5", instructions: "program.md" } }` or
 * `{ agent: { preset: "claude-code", instructions: "program.md" } }`.
 */
export type MutatorConfig = Mutator | { llm: LlmMutatorOptions } | { agent: AgentMutatorOptions };

function isMutator(value: unknown): value is Mutator {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Mutator).propose === "function" &&
    typeof (value as Mutator).name === "string"
  );
}

/** Names fields as the config file spells them: `mutator.llm.model` rather than `model`. */
function withPrefix(prefix: string, create: () => Mutator): Mutator {
  try {
    return create();
  } catch (error) {
    if (!ConfigurationError.isInstance(error)) throw error;
    throw new ConfigurationError({
      message: error.message.replaceAll("Invalid `", `Invalid \`${prefix}.`),
      field: `${prefix}.${error.field ?? ""}`.replace(/\.$/, ""),
      cause: error,
    });
  }
}

/**
 * Turns a config file's `mutator` into a Mutator: a Mutator object is returned as is, `{ llm }` builds the LLM
 * proposer and `{ agent }` a coding-agent proposer. Loads nothing from the AI SDK until the first proposal.
 */
export function createMutatorFromLlmConfig(config: MutatorConfig): Mutator {
  if (isMutator(config)) return config;
  if (typeof config === "object" && config !== null) {
    const keys = Object.keys(config);
    if (keys.length === 1 && "llm" in config)
      return withPrefix("mutator.llm", () => createLlmMutator(config.llm));
    if (keys.length === 1 && "agent" in config) {
      return withPrefix("mutator.agent", () => createAgentMutator(config.agent));
    }
  }
  let got: string;
  try {
    got = JSON.stringify(config)?.slice(0, 80) ?? String(config);
  } catch {
    got = String(config);
  }
  throw new ConfigurationError({
    field: "mutator",
    message: `Invalid \`mutator\`: expected a Mutator object ({ name, propose }), { llm: { model, instructions, … } } or { agent: { preset, instructions, … } }, got \`${got}\``,
  });
}
