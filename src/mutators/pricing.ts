import { z } from "zod";
import type { TokenUsage } from "../spec/records.js";

/** What a model costs, in US dollars per million tokens. */
export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
  /** Input tokens served from the provider's cache; the input price when absent. */
  cachedInputPerMTok?: number | undefined;
}

/** The options' shape of a price (`prices` of the LLM and agent proposers). */
export const modelPriceSchema = z.strictObject({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cachedInputPerMTok: z.number().nonnegative().optional(),
});

/**
 * List prices of common models, in USD per million tokens, as published by the providers in late 2025.
 * They are estimates: providers change prices, and batch, priority or long-context tiers differ. Pass `prices`
 * to override them or to price any other model.
 */
export const defaultModelPrices: Readonly<Record<string, ModelPrice>> = {
  "gpt-5": { inputPerMTok: 1.25, outputPerMTok: 10, cachedInputPerMTok: 0.125 },
  "gpt-5.1": { inputPerMTok: 1.25, outputPerMTok: 10, cachedInputPerMTok: 0.125 },
  "gpt-5-mini": { inputPerMTok: 0.25, outputPerMTok: 2, cachedInputPerMTok: 0.025 },
  "gpt-5-nano": { inputPerMTok: 0.05, outputPerMTok: 0.4, cachedInputPerMTok: 0.005 },
  "gpt-5-codex": { inputPerMTok: 1.25, outputPerMTok: 10, cachedInputPerMTok: 0.125 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6, cachedInputPerMTok: 0.1 },
  "gpt-4.1-nano": { inputPerMTok: 0.1, outputPerMTok: 0.4, cachedInputPerMTok: 0.025 },
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10, cachedInputPerMTok: 1.25 },
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6, cachedInputPerMTok: 0.075 },
  o3: { inputPerMTok: 2, outputPerMTok: 8, cachedInputPerMTok: 0.5 },
  "o4-mini": { inputPerMTok: 1.1, outputPerMTok: 4.4, cachedInputPerMTok: 0.275 },
  "claude-opus-4-5": { inputPerMTok: 5, outputPerMTok: 25, cachedInputPerMTok: 0.5 },
  "claude-opus-4-1": { inputPerMTok: 15, outputPerMTok: 75, cachedInputPerMTok: 1.5 },
  "claude-opus-4": { inputPerMTok: 15, outputPerMTok: 75, cachedInputPerMTok: 1.5 },
  "claude-sonnet-4-5": { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 },
  "claude-sonnet-4": { inputPerMTok: 3, outputPerMTok: 15, cachedInputPerMTok: 0.3 },
  "claude-haiku-4-5": { inputPerMTok: 1, outputPerMTok: 5, cachedInputPerMTok: 0.1 },
  "claude-3-5-haiku": { inputPerMTok: 0.8, outputPerMTok: 4, cachedInputPerMTok: 0.08 },
};

export interface EstimateCostOptions {
  /** The model id as the provider knows it (`gpt-5`, `claude-sonnet-4-5-20250929`) or as configured (`openai:gpt-5`). */
  modelId: string;
  usage: TokenUsage;
  /** User prices; they win over the defaults. */
  prices?: Readonly<Record<string, ModelPrice>>;
}

export interface CostEstimate {
  costUsd: number;
  /** The price table key that matched. */
  priceKey: string;
  /** True when the price came from the built-in table rather than the user's. */
  estimated: boolean;
}

/**
 * Finds the price of a model: an exact key first (with or without a `provider:` prefix), then the longest key
 * the id starts with followed by `-`, so dated ids such as `claude-sonnet-4-5-20250929` find their family.
 */
export function findModelPrice(
  modelId: string,
  prices: Readonly<Record<string, ModelPrice>>,
): { key: string; price: ModelPrice } | undefined {
  const bare = modelId.includes(":") ? modelId.slice(modelId.indexOf(":") + 1) : modelId;
  for (const candidate of [modelId, bare]) {
    const price = prices[candidate];
    if (price) return { key: candidate, price };
  }
  let best: { key: string; price: ModelPrice } | undefined;
  for (const [key, price] of Object.entries(prices)) {
    const matches = [modelId, bare].some((id) => id.startsWith(`${key}-`));
    if (matches && (best === undefined || key.length > best.key.length)) best = { key, price };
  }
  return best;
}

/**
 * What a proposal cost in USD, from the token usage and a price table, or `undefined` when the model has no
 * price. User prices are looked up before the built-in defaults, which are labelled as estimates.
 */
export function estimateCost(options: EstimateCostOptions): CostEstimate | undefined {
  const { modelId, usage } = options;
  const user = options.prices ? findModelPrice(modelId, options.prices) : undefined;
  const found = user ?? findModelPrice(modelId, defaultModelPrices);
  if (!found) return undefined;
  const { price } = found;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const costUsd =
    (uncached * price.inputPerMTok +
      cached * (price.cachedInputPerMTok ?? price.inputPerMTok) +
      usage.outputTokens * price.outputPerMTok) /
    1_000_000;
  return { costUsd, priceKey: found.key, estimated: user === undefined };
}

/** What a proposal cost in USD, or `undefined` when the model has no known price. See `estimateCost`. */
export function estimateCostUsd(options: EstimateCostOptions): number | undefined {
  return estimateCost(options)?.costUsd;
}
