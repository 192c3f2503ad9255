import { readFileSync } from "node:fs";
import type { ToolSet } from "./types.js";

interface Order {
  status: string;
  eta?: string;
}

const orders: Record<string, Order> = JSON.parse(
  readFileSync(new URL("../data/orders.json", import.meta.url), "utf8"),
);

/** The tools the agent may call. Their results are facts the reply can quote. */
export const tools: ToolSet = {
  lookup_order: {
    description: "Look up an order by its number (five digits) and return its status.",
    parameters: { orderId: "the five-digit order number" },
    run(input) {
      const id = String(input.orderId ?? "").replace(/^#/, "");
      const order = orders[id];
      return order === undefined ? { found: false, orderId: id } : { found: true, orderId: id, ...order };
    },
  },
  refund_policy: {
    description: "Return the shop's refund policy.",
    parameters: {},
    run: () => ({ policy: "Refunds within 30 days of delivery, to the original payment method." }),
  },
  escalate: {
    description: "Hand the ticket to a human, with a reason.",
    parameters: { reason: "why a human must look at it" },
    run: (input) => ({ escalated: true, reason: String(input.reason ?? "") }),
  },
};
