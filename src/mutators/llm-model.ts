import type { LanguageModelV3, LanguageModelV4 } from "@ai-sdk/provider";
import { ConfigurationError } from "../errors/autoresearch-error.js";

/**
 * A language model object of a specification the proposer can drive: `v4` (the providers of AI SDK 7:
 * `@ai-sdk/openai` 4, `@ai-sdk/anthropic` 4, …) or `v3` (the providers of AI SDK 6). `ai` 7 runs both.
 */
export type SupportedLanguageModel = LanguageModelV4 | LanguageModelV3;

/** The model specification versions the proposer accepts, newest first. */
export const supportedSpecificationVersions = ["v4", "v3"] as const;

/**
 * Which model the LLM proposer talks to: a model object from any AI SDK provider; a string
 * `openai:<id>`, `anthropic:<id>` or `openai-compatible:<id>` (with a `baseURL`); or an OpenAI-compatible
 * endpoint (Ollama, vLLM, LM Studio, llama.cpp) described as an object.
 */
export type LlmModelSpec = string | OpenAICompatibleEndpoint | SupportedLanguageModel;

/** A server that speaks the OpenAI chat-completions API. */
export interface OpenAICompatibleEndpoint {
  /** E.g. `http://127.0.0.1:11434/v1` for Ollama, `http://127.0.0.1:8000/v1` for vLLM. */
  baseURL: string;
  /** The model name the server knows, e.g. `qwen2.5-coder:32b`. */
  model: string;
  /** Sent as `Authorization: Bearer …`; most local servers need none. */
  apiKey?: string;
  /** The environment variable holding the key, so config files need not hold it. */
  apiKeyEnv?: string;
  /** A name for the provider in records; default `openai-compatible`. */
  name?: string;
  headers?: Record<string, string>;
}

export interface ResolveModelOptions {
  /** Overrides the provider's key from the environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`). */
  apiKey?: string;
  /** Overrides the provider's base URL; required for `openai-compatible:<id>` unless `OPENAI_BASE_URL` is set. */
  baseURL?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedModel {
  model: SupportedLanguageModel;
  /** `provider:model`, for records and price lookups. */
  modelId: string;
  /** Keys this model was given, to scrub from anything recorded. */
  secrets: string[];
}

/**
 * Whether `value` looks like an AI SDK language model object, of any specification version: the version is
 * checked separately, so that an old or a future model gets an error naming the versions supported.
 */
export function isLanguageModelObject(value: unknown): value is SupportedLanguageModel {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { doGenerate?: unknown }).doGenerate === "function" &&
    typeof (value as { modelId?: unknown }).modelId === "string"
  );
}

const providers = ["openai", "anthropic", "openai-compatible"] as const;

/** Throws a configuration error naming the supported versions for a model of any other specification. */
export function assertSupportedVersion(model: { specificationVersion?: unknown }): void {
  const version = model.specificationVersion;
  if ((supportedSpecificationVersions as readonly unknown[]).includes(version)) return;
  throw new ConfigurationError({
    field: "model",
    message: `Invalid \`model\`: expected an AI SDK language model of specification ${supportedSpecificationVersions.map((each) => `"${each}"`).join(" or ")} (the providers of AI SDK 7, e.g. @ai-sdk/openai 4, or of AI SDK 6), got one of specification \`${String(version)}\`${version === "v2" || version === "v1" ? " (an AI SDK 5 or older provider: upgrade the provider package)" : ""}`,
  });
}

/**
 * What is missing for the provider to be reached, in a sentence, or `undefined` when nothing is: the key of
 * `openai:` and `anthropic:` models (an option or its environment variable), the base URL of
 * `openai-compatible:` ones, the variable an endpoint's `apiKeyEnv` names. Checked before the baseline, without
 * loading any provider.
 */
export function describeMissingCredential(
  spec: LlmModelSpec,
  options: ResolveModelOptions = {},
): string | undefined {
  const env = options.env ?? process.env;
  if (isLanguageModelObject(spec)) return undefined;
  if (typeof spec === "object") {
    if (
      spec.apiKey === undefined &&
      spec.apiKeyEnv !== undefined &&
      !env[spec.apiKeyEnv] &&
      !options.apiKey
    ) {
      return `the environment variable ${spec.apiKeyEnv} (the model's \`apiKeyEnv\`) is not set`;
    }
    return undefined;
  }
  const provider = spec.slice(0, Math.max(0, spec.indexOf(":")));
  const key = { openai: "OPENAI_API_KEY", anthropic: "ANTHROPIC_API_KEY" }[provider];
  if (key !== undefined && !options.apiKey && !env[key]) {
    return `the ${provider === "openai" ? "OpenAI" : "Anthropic"} API key for "${spec}" is missing: set ${key}, or give \`apiKey\``;
  }
  if (provider === "openai-compatible" && !options.baseURL && !env.OPENAI_BASE_URL) {
    return `"${spec}" needs the server's URL: give \`baseURL\` (e.g. "http://127.0.0.1:11434/v1") or set OPENAI_BASE_URL`;
  }
  return undefined;
}

/**
 * Turns a model spec into an AI SDK model. Providers are loaded with dynamic `import()` here, so importing the
 * library never loads them.
 */
export async function resolveLanguageModel(
  spec: LlmModelSpec,
  options: ResolveModelOptions = {},
): Promise<ResolvedModel> {
  const env = options.env ?? process.env;
  if (isLanguageModelObject(spec)) {
    assertSupportedVersion(spec);
    return { model: spec, modelId: `${spec.provider}:${spec.modelId}`, secrets: [] };
  }
  if (typeof spec === "object") {
    const apiKey = spec.apiKey ?? (spec.apiKeyEnv ? env[spec.apiKeyEnv] : undefined) ?? options.apiKey;
    const name = spec.name ?? "openai-compatible";
    return compatible({ name, baseURL: spec.baseURL, model: spec.model, apiKey, headers: spec.headers });
  }
  const colon = spec.indexOf(":");
  const provider = colon === -1 ? "" : spec.slice(0, colon);
  const id = colon === -1 ? "" : spec.slice(colon + 1);
  if (!providers.includes(provider as (typeof providers)[number]) || id === "") {
    throw new ConfigurationError({
      field: "model",
      message: `Invalid \`model\`: expected "openai:<model>", "anthropic:<model>", "openai-compatible:<model>", an endpoint object { baseURL, model } or an AI SDK model object, got \`${JSON.stringify(spec)}\``,
    });
  }
  if (provider === "openai") {
    const { createOpenAI } = await import("@ai-sdk/openai");
    // The provider reads OPENAI_API_KEY and OPENAI_BASE_URL itself; only explicit options are passed on.
    const openai = createOpenAI({
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
    return { model: openai(id), modelId: spec, secrets: [options.apiKey ?? env.OPENAI_API_KEY ?? ""] };
  }
  if (provider === "anthropic") {
    const { createAnthropic } = await import("@ai-sdk/anthropic");
    const anthropic = createAnthropic({
      ...(options.apiKey ? { apiKey: options.apiKey } : {}),
      ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    });
    return { model: anthropic(id), modelId: spec, secrets: [options.apiKey ?? env.ANTHROPIC_API_KEY ?? ""] };
  }
  const baseURL = options.baseURL ?? env.OPENAI_BASE_URL;
  if (!baseURL) {
    throw new ConfigurationError({
      field: "baseURL",
      message: `Invalid \`baseURL\`: expected the server's URL (e.g. "http://127.0.0.1:11434/v1") for "${spec}", got \`undefined\``,
    });
  }
  // The OpenAI key is deliberately not sent to other servers: a local endpoint gets only an explicit key.
  return compatible({
    name: "openai-compatible",
    baseURL,
    model: id,
    apiKey: options.apiKey,
    headers: undefined,
  });
}

async function compatible(endpoint: {
  name: string;
  baseURL: string;
  model: string;
  apiKey: string | undefined;
  headers: Record<string, string> | undefined;
}): Promise<ResolvedModel> {
  const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
  const provider = createOpenAICompatible({
    name: endpoint.name,
    baseURL: endpoint.baseURL,
    ...(endpoint.apiKey ? { apiKey: endpoint.apiKey } : {}),
    ...(endpoint.headers ? { headers: endpoint.headers } : {}),
  });
  return {
    model: provider.chatModel(endpoint.model),
    modelId: `${endpoint.name}:${endpoint.model}`,
    secrets: [endpoint.apiKey ?? "", ...Object.values(endpoint.headers ?? {})],
  };
}

/** How provider errors are retried. */
export interface RetrySettings {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  /** Wait before the first retry; doubled (by `backoffFactor`) each time. */
  initialDelayMs: number;
  backoffFactor: number;
  /** No wait is longer, a server's `retry-after` included. */
  maxDelayMs: number;
}

function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return true;
  if (error.name === "AbortError" || error.name === "TimeoutError") return false;
  if (error.name === "AI_APICallError") return (error as { isRetryable?: boolean }).isRetryable === true;
  // Other AI SDK errors (a missing key, an unknown model, a response that cannot be parsed) will not go away;
  // anything else is most likely the network.
  return !error.name.startsWith("AI_");
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = (error as { responseHeaders?: Record<string, string> } | undefined)?.responseHeaders;
  const value = headers?.["retry-after-ms"] ?? headers?.["retry-after"];
  if (value === undefined) return undefined;
  const number = Number(value);
  if (Number.isFinite(number)) return headers?.["retry-after-ms"] !== undefined ? number : number * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function wait(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  if (milliseconds <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, milliseconds);
    function done() {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

/**
 * Wraps a model so each call to the provider is retried with exponential backoff. Retrying one call, not the
 * whole multi-step proposal, keeps the edits already made and the conversation so far.
 */
export function withRetry<Model extends SupportedLanguageModel>(
  model: Model,
  settings: RetrySettings,
  onRetry?: (info: { attempt: number; error: unknown; delayMs: number }) => void,
): Model {
  async function attempt<T>(call: () => PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await call();
      } catch (error) {
        if (signal?.aborted || retry >= settings.maxRetries || !isRetryable(error)) throw error;
        const backoff = settings.initialDelayMs * settings.backoffFactor ** retry;
        const delayMs = Math.min(settings.maxDelayMs, Math.max(backoff, retryAfterMs(error) ?? 0));
        onRetry?.({ attempt: retry + 1, error, delayMs });
        await wait(delayMs, signal);
      }
    }
  }
  // The call options and results pass through untouched, so one wrapper serves every specification version.
  type CallOptions = { abortSignal?: AbortSignal };
  const inner = model as unknown as {
    doGenerate(options: CallOptions): PromiseLike<unknown>;
    doStream(options: CallOptions): PromiseLike<unknown>;
  };
  const wrapped = {
    specificationVersion: model.specificationVersion,
    provider: model.provider,
    modelId: model.modelId,
    get supportedUrls() {
      return model.supportedUrls;
    },
    doGenerate: (options: CallOptions) => attempt(() => inner.doGenerate(options), options.abortSignal),
    doStream: (options: CallOptions) => attempt(() => inner.doStream(options), options.abortSignal),
  };
  return wrapped as unknown as Model;
}
