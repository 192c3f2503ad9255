import type { Route } from "./types.js";

/**
 * Routing done in code, before any model sees the ticket: for tickets whose route is certain and where a
 * model's mistake would be costly. The first matching rule wins.
 */
const rules: { pattern: RegExp; route: Route }[] = [];

export function preRoute(ticket: string): Route | undefined {
  return rules.find((rule) => rule.pattern.test(ticket))?.route;
}
