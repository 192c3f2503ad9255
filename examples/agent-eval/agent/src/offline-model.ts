import type { SupportModel, ToolCall } from "./types.js";

/**
 * The model the example uses without an API key: deterministic, and literal. It follows the prompt's routing
 * rules (`- "phrase" -> route`), the tool rules it recognises, the greeting and the close, and nothing else, so
 * the agent's behaviour changes exactly when its prompt or code does. With `AGENT_EVAL_LLM=1` a real model reads
 * the same prompt instead (llm-model.ts).
 */
export const offlineModel: SupportModel = {
  async answer({ prompt, ticket, tools }) {
    // Only the instructions count: a ticket that contains rule-like text must not become a rule.
    const instructions = prompt.split("\n## Ticket")[0] ?? prompt;
    const lower = ticket.toLowerCase();
    let route = "general";
    for (const [, phrase, target] of instructions.matchAll(/^- "([^"]+)" -> (\w+)\s*$/gm)) {
      if (phrase !== undefined && target !== undefined && lower.includes(phrase.toLowerCase())) {
        route = target;
        break;
      }
    }

    const toolCalls: ToolCall[] = [];
    const call = (name: string, input: Record<string, unknown>) => {
      const tool = tools[name];
      if (tool === undefined) return undefined;
      const output = tool.run(input);
      toolCalls.push({ name, input, output });
      return output;
    };
    const sentences: string[] = [];
    const toolRules = instructions.match(/^- Call (\w+) when (.+?)\.\s*$/gm) ?? [];
    for (const rule of toolRules) {
      const [, name, condition] = /^- Call (\w+) when (.+?)\.\s*$/.exec(rule) ?? [];
      if (name === undefined || condition === undefined) continue;
      if (/order number/.test(condition)) {
        const orderId = /#?\b(\d{5})\b/.exec(ticket)?.[1];
        if (orderId === undefined) continue;
        const found = call(name, { orderId }) as
          | { found?: boolean; status?: string; eta?: string }
          | undefined;
        if (found?.found) {
          sentences.push(
            `Your order #${orderId} is ${found.status}${found.eta ? `, expected ${found.eta}` : ""}.`,
          );
        } else if (found !== undefined) sentences.push(`We could not find order #${orderId}.`);
      } else if (/legal action/.test(condition) && /\b(lawyer|legal|sue)\b/i.test(ticket)) {
        call(name, { reason: "the customer threatens legal action" });
        sentences.push("A colleague will contact you personally.");
      } else if (/refund/.test(condition) && /refund/i.test(ticket)) {
        const policy = call(name, {}) as { policy?: string } | undefined;
        if (policy?.policy !== undefined) sentences.push(policy.policy);
      }
    }
    const greeting = /^Greeting: (.+)$/m.exec(instructions)?.[1]?.trim() ?? "Hello.";
    const close = /^Close: (.+)$/m.exec(instructions)?.[1]?.trim() ?? "";
    const reply = [greeting, ...sentences, close].filter(Boolean).join(" ");
    const text = JSON.stringify({ route, reply });
    // A stand-in for token counts: about four characters a token.
    return {
      text,
      toolCalls,
      usage: { inputTokens: Math.ceil(prompt.length / 4), outputTokens: Math.ceil(text.length / 4) },
    };
  },
};
