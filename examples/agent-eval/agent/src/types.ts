/** Where a ticket goes. */
export const routes = ["billing", "account", "shipping", "technical", "security", "general"] as const;
export type Route = (typeof routes)[number];

/** One call the agent made to a tool, with what came back. */
export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  output: unknown;
}

/** The agent's answer to a ticket. */
export interface AgentAnswer {
  route: Route;
  reply: string;
  toolCalls: ToolCall[];
  /** Who decided the route: the code's pre-routing, or the model. */
  decidedBy: "routing" | "model";
  usage: { inputTokens: number; outputTokens: number };
}

/** A model that reads the rendered prompt, may call tools, and answers with JSON `{ route, reply }`. */
export interface SupportModel {
  answer(options: { prompt: string; ticket: string; tools: ToolSet }): Promise<{
    text: string;
    toolCalls: ToolCall[];
    usage: { inputTokens: number; outputTokens: number };
  }>;
}

export interface ToolDefinition {
  description: string;
  /** Parameters by name, each described in a word or two. */
  parameters: Record<string, string>;
  run(input: Record<string, unknown>): unknown;
}

export type ToolSet = Record<string, ToolDefinition>;
