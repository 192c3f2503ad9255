import { readFileSync } from "node:fs";
import type { ToolSet } from "./types.js";

const template = readFileSync(new URL("../prompts/support.md", import.meta.url), "utf8");

/** The system prompt for a ticket: the template with the tools and the ticket filled in. */
export function renderPrompt(ticket: string, tools: ToolSet): string {
  const toolList = Object.entries(tools)
    .map(([name, tool]) => `- ${name}(${Object.keys(tool.parameters).join(", ")}): ${tool.description}`)
    .join("\n");
  return template.replaceAll("{{tools}}", toolList).replaceAll("{{ticket}}", ticket.trim());
}
