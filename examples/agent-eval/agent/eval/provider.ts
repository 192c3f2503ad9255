import { handleTicket } from "../src/agent.js";

/** The agent under test as a promptfoo provider: the ticket in, the agent's answer out as JSON. */
export default class SupportAgentProvider {
  id(): string {
    return "support-agent";
  }

  async callApi(_prompt: string, context?: { vars?: Record<string, unknown> }) {
    const started = Date.now();
    const answer = await handleTicket(String(context?.vars?.ticket ?? ""));
    const { inputTokens, outputTokens } = answer.usage;
    return {
      output: JSON.stringify({
        route: answer.route,
        reply: answer.reply,
        tools: answer.toolCalls.map((call) => call.name),
      }),
      tokenUsage: { prompt: inputTokens, completion: outputTokens, total: inputTokens + outputTokens },
      // A stand-in price ($0.25 / $2 per million tokens), so the cost constraint has something to read.
      cost: (inputTokens * 0.25 + outputTokens * 2) / 1e6,
      latencyMs: Date.now() - started,
    };
  }
}
