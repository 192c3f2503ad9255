import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { Mutator } from "../spec/mutator.js";
import { createMutatorFromLlmConfig } from "./llm-config.js";

describe("createMutatorFromLlmConfig", () => {
  it("returns a Mutator object as is and builds the declarative forms", () => {
    const own: Mutator = { name: "mine", propose: async () => ({ type: "exhausted", reason: "none" }) };
    expect(createMutatorFromLlmConfig(own)).toBe(own);
    expect(
      createMutatorFromLlmConfig({ llm: { model: "openai:gpt-5", instructions: "program.md" } }).name,
    ).toBe("llm");
    expect(createMutatorFromLlmConfig({ agent: { preset: "aider", instructions: "program.md" } }).name).toBe(
      "agent:aider",
    );
  });

  it("names fields as the config file spells them", () => {
    expect(() =>
      createMutatorFromLlmConfig({
        llm: { model: "openai:gpt-5", instructions: "program.md", maxSteps: -1 },
      }),
    ).toThrow(/Invalid `mutator\.llm\.maxSteps`/);
    try {
      createMutatorFromLlmConfig({ llm: { model: "openai:gpt-5", instructions: "" } });
      expect.unreachable();
    } catch (error) {
      expect(ConfigurationError.isInstance(error) && error.field).toBe("mutator.llm.instructions");
    }
  });

  it("refuses anything else, saying what it expected", () => {
    expect(() => createMutatorFromLlmConfig({ gpt: {} } as never)).toThrow(
      /Invalid `mutator`: expected a Mutator object .* got `\{"gpt":\{\}\}`/,
    );
  });
});
