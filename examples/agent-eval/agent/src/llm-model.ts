import { createOpenAI } from "@ai-sdk/openai";
import { generateText, jsonSchema, stepCountIs, tool } from "ai";
import type { SupportModel, ToolCall } from "./types.js";

/**
 * The agent's model with `AGENT_EVAL_LLM=1`: an OpenAI chat model (`AGENT_EVAL_MODEL`, default `gpt-5-mini`;
 * `OPENAI_API_KEY`, and `OPENAI_BASE_URL` for any OpenAI-compatible server) given the same prompt and tools.
 */
export function createLlmModel(): SupportModel {
  const openai = createOpenAI({
    ...(process.env.OPENAI_BASE_URL === undefined ? {} : { baseURL: process.env.OPENAI_BASE_URL }),
  });
  const model = openai.chat(process.env.AGENT_EVAL_MODEL ?? "gpt-5-mini");
  return {
    async answer({ prompt, ticket, tools }) {
      const toolCalls: ToolCall[] = [];
      const aiTools = Object.fromEntries(
        Object.entries(tools).map(([name, definition]) => [
          name,
          tool({
            description: definition.description,
            inputSchema: jsonSchema<Record<string, unknown>>({
              type: "object",
              properties: Object.fromEntries(
                Object.entries(definition.parameters).map(([key, description]) => [
                  key,
                  { type: "string", description },
                ]),
              ),
              required: Object.keys(definition.parameters),
              additionalProperties: false,
            }),
            execute: async (input: Record<string, unknown>) => {
              const output = definition.run(input);
              toolCalls.push({ name, input, output });
              return output;
            },
          }),
        ]),
      );
      const result = await generateText({
        model,
        system: prompt,
        prompt: `${ticket}\n\nAnswer with the JSON object only.`,
        tools: aiTools,
        stopWhen: stepCountIs(4),
        maxRetries: 2,
      });
      return {
        text: result.text,
        toolCalls,
        usage: {
          inputTokens: result.totalUsage.inputTokens ?? 0,
          outputTokens: result.totalUsage.outputTokens ?? 0,
        },
      };
    },
  };
}
