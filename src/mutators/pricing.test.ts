import { describe, expect, it } from "vitest";
import { defaultModelPrices, estimateCost, estimateCostUsd, findModelPrice } from "./pricing.js";

describe("estimateCostUsd", () => {
  it("prices input, cached input and output tokens separately", () => {
    const cost = estimateCostUsd({
      modelId: "my-model",
      usage: { inputTokens: 1_000_000, outputTokens: 500_000, cachedInputTokens: 400_000 },
      prices: { "my-model": { inputPerMTok: 2, outputPerMTok: 10, cachedInputPerMTok: 0.5 } },
    });
    // 600k uncached * 2 + 400k cached * 0.5 + 500k * 10, per million
    expect(cost).toBeCloseTo(1.2 + 0.2 + 5, 10);
  });

  it("charges cached tokens at the input price when the table has no cached price", () => {
    const cost = estimateCostUsd({
      modelId: "m",
      usage: { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 1_000_000 },
      prices: { m: { inputPerMTok: 3, outputPerMTok: 15 } },
    });
    expect(cost).toBeCloseTo(3, 10);
  });

  it("finds dated and provider-prefixed ids by their family, preferring the longest key", () => {
    expect(findModelPrice("claude-sonnet-4-5-20250929", defaultModelPrices)?.key).toBe("claude-sonnet-4-5");
    expect(findModelPrice("openai:gpt-5-mini", defaultModelPrices)?.key).toBe("gpt-5-mini");
    expect(findModelPrice("gpt-4o-mini-2024-07-18", defaultModelPrices)?.key).toBe("gpt-4o-mini");
    expect(findModelPrice("gpt-50", defaultModelPrices)).toBeUndefined();
  });

  it("labels built-in prices as estimates and lets user prices win", () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 0 };
    const builtIn = estimateCost({ modelId: "gpt-5", usage });
    expect(builtIn).toMatchObject({ estimated: true, priceKey: "gpt-5" });
    expect(builtIn?.costUsd).toBeCloseTo(1.25, 10);
    const user = estimateCost({
      modelId: "gpt-5",
      usage,
      prices: { "gpt-5": { inputPerMTok: 7, outputPerMTok: 1 } },
    });
    expect(user).toMatchObject({ estimated: false, costUsd: 7 });
  });

  it("returns undefined for a model without a price", () => {
    expect(estimateCostUsd({ modelId: "llama3.1:8b", usage: { inputTokens: 10, outputTokens: 10 } })).toBe(
      undefined,
    );
  });
});
