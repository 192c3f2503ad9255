import { renderPrompt } from "./prompt.js";
import { preRoute } from "./routing.js";
import { tools } from "./tools.js";
import { type AgentAnswer, type Route, routes, type SupportModel } from "./types.js";

let defaultModel: Promise<SupportModel> | undefined;

/** The offline model, or with `AGENT_EVAL_LLM=1` a real one (loaded only then). */
function chooseModel(): Promise<SupportModel> {
  defaultModel ??=
    process.env.AGENT_EVAL_LLM === "1"
      ? import("./llm-model.js").then(({ createLlmModel }) => createLlmModel())
      : import("./offline-model.js").then(({ offlineModel }) => offlineModel);
  return defaultModel;
}

/** The first JSON object in the model's text, as a route and a reply; `general` when it is unusable. */
function parseAnswer(text: string): { route: Route; reply: string } {
  const json = /\{[\s\S]*\}/.exec(text)?.[0];
  try {
    const value = JSON.parse(json ?? "") as { route?: unknown; reply?: unknown };
    const route = routes.find((candidate) => candidate === value.route) ?? "general";
    return { route, reply: typeof value.reply === "string" ? value.reply : "" };
  } catch {
    return { route: "general", reply: text.trim() };
  }
}

/** Answers one support ticket: code routing first, then the model with the prompt and the tools. */
export async function handleTicket(
  ticket: string,
  options: { model?: SupportModel } = {},
): Promise<AgentAnswer> {
  const model = options.model ?? (await chooseModel());
  const routed = preRoute(ticket);
  const result = await model.answer({ prompt: renderPrompt(ticket, tools), ticket, tools });
  const answer = parseAnswer(result.text);
  return {
    route: routed ?? answer.route,
    reply: answer.reply,
    toolCalls: result.toolCalls,
    decidedBy: routed === undefined ? "model" : "routing",
    usage: result.usage,
  };
}
