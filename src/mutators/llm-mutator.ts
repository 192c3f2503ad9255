import type { LanguageModelUsage, ModelMessage, StopCondition, ToolSet } from "ai";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import type { PreflightOptions } from "../spec/preflight.js";
import type { TokenUsage } from "../spec/records.js";
import {
  assertSupportedVersion,
  describeMissingCredential,
  isLanguageModelObject,
  type OpenAICompatibleEndpoint,
  type ResolvedModel,
  resolveLanguageModel,
  type SupportedLanguageModel,
  withRetry,
} from "./llm-model.js";
import { collectSecrets, describeError, redactDeep, redactSecrets } from "./llm-secrets.js";
import { createWorkspaceTools, type WorkspaceTool, type WorkspaceToolState } from "./llm-tools.js";
import { estimateCost, modelPriceSchema } from "./pricing.js";
import type { ProposalPrompt } from "./prompt-builder.js";
import {
  instructionsSchema,
  prepareProposalPrompt,
  promptLimitsSchema,
  readInstructions,
} from "./prompt-context.js";

const endpointSchema = z.strictObject({
  baseURL: z.string().url(),
  model: z.string().min(1),
  apiKey: z.string().optional(),
  apiKeyEnv: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const positiveInteger = z.number().int().positive();

/** The LLM proposer's options as a schema: plain data, so a config file can hold them (except a model object). */
export const llmMutatorOptionsSchema = z.strictObject({
  /**
   * A model object of any AI SDK provider (specification v4 or v3), `"openai:gpt-5"`,
   * `"anthropic:claude-sonnet-4-5"`, `"openai-compatible:<id>"` or an endpoint.
   */
  model: z.union([
    z.custom<SupportedLanguageModel>(isLanguageModelObject, {
      message: "expected an AI SDK language model object",
    }),
    endpointSchema,
    z.string().min(1),
  ]),
  /** A file such as `program.md` (relative to the researched directory), or the instructions themselves. */
  instructions: instructionsSchema,
  /** Another directory to look for the instructions file in, e.g. the user's checkout when it is untracked. */
  instructionsDirectory: z.string().min(1).optional(),
  /** The mutator's name in records; default `llm`. */
  name: z.string().min(1).optional(),
  /** Overrides the key the provider reads from its environment variable. */
  apiKey: z.string().min(1).optional(),
  /** Overrides the provider's base URL (`OPENAI_BASE_URL` is honoured otherwise). */
  baseURL: z.string().url().optional(),
  /** Model calls per proposal (each tool round trip is one); default 40. */
  maxSteps: positiveInteger.optional(),
  /** Output tokens per model call. */
  maxOutputTokens: positiveInteger.optional(),
  /** Input plus output tokens per proposal; the proposal stops (and fails unless finished) past it. */
  maxTotalTokens: positiveInteger.optional(),
  /** Times the model is reminded to finish when it stops talking without calling `finish`; default 2. */
  maxReminders: z.number().int().nonnegative().optional(),
  temperature: z.number().min(0).optional(),
  /** Passed to the provider as is, e.g. `{ openai: { reasoningEffort: "high" } }`. */
  providerOptions: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** How provider errors are retried; defaults: 3 retries, 2 s doubling, at most 60 s. */
  retry: z
    .strictObject({
      maxRetries: z.number().int().nonnegative().optional(),
      initialDelayMs: z.number().nonnegative().optional(),
      backoffFactor: z.number().min(1).optional(),
      maxDelayMs: z.number().nonnegative().optional(),
    })
    .optional(),
  /** Prices per million tokens by model id; they win over the built-in estimates. */
  prices: z.record(z.string(), modelPriceSchema).optional(),
  /** How many kept trials' diffs the prompt shows; default 3. */
  keptDiffs: z.number().int().nonnegative().optional(),
  /** Bounds on the prompt's parts, in characters (see `PromptLimits`). */
  promptLimits: promptLimitsSchema.optional(),
});

/** Options of `createLlmMutator`. */
export type LlmMutatorOptions = z.input<typeof llmMutatorOptionsSchema>;
type LlmMutatorConfig = z.output<typeof llmMutatorOptionsSchema>;

export type { OpenAICompatibleEndpoint };

function toTokenUsage(usage: LanguageModelUsage | undefined): TokenUsage | undefined {
  if (!usage) return undefined;
  const cached = usage.inputTokenDetails?.cacheReadTokens;
  return {
    inputTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    ...(cached === undefined ? {} : { cachedInputTokens: cached }),
  };
}

function addUsage(total: TokenUsage | undefined, usage: TokenUsage | undefined): TokenUsage | undefined {
  if (!usage) return total;
  if (!total) return usage;
  const cached =
    total.cachedInputTokens === undefined && usage.cachedInputTokens === undefined
      ? undefined
      : (total.cachedInputTokens ?? 0) + (usage.cachedInputTokens ?? 0);
  return {
    inputTokens: total.inputTokens + usage.inputTokens,
    outputTokens: total.outputTokens + usage.outputTokens,
    ...(cached === undefined ? {} : { cachedInputTokens: cached }),
  };
}

const reminder =
  "You have not called `finish`. If your change is not made yet, make it now with edit_file or write_file; then call `finish` with a one-line description and a short rationale.";

/** What a proposal's conversation with the model counted, for the proposal's record. */
interface ConversationTally {
  usage: TokenUsage | undefined;
  steps: number;
  finishReason: string | undefined;
}

/** What one proposal's conversation with the model works with. */
interface Conversation {
  config: LlmMutatorConfig;
  model: SupportedLanguageModel;
  prompt: ProposalPrompt;
  tools: Record<string, WorkspaceTool<never>>;
  state: WorkspaceToolState;
  signal: AbortSignal;
  secrets: readonly string[];
  maxSteps: number;
  maxReminders: number;
}

/** The configured model, resolved on the first proposal and shared by the next (resolved again after a failure). */
function createModelResolver(config: LlmMutatorConfig): () => Promise<ResolvedModel> {
  let resolving: Promise<ResolvedModel> | undefined;
  return async () => {
    resolving ??= resolveLanguageModel(config.model as never, {
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    });
    try {
      return await resolving;
    } catch (error) {
      resolving = undefined;
      throw error;
    }
  };
}

/** The prompt of one proposal, with the user's instructions, asking the model to finish with the tool. */
async function llmPrompt(config: LlmMutatorConfig, request: ProposeOptions): Promise<ProposalPrompt> {
  const instructions = await readInstructions(config.instructions, [
    request.directory,
    ...(config.instructionsDirectory ? [config.instructionsDirectory] : []),
  ]);
  return prepareProposalPrompt({
    propose: request,
    instructions,
    finish: "tool",
    ...(config.keptDiffs === undefined ? {} : { keptDiffs: config.keptDiffs }),
    ...(config.promptLimits ? { limits: config.promptLimits } : {}),
  });
}

/**
 * Lets the model work through the tools until it calls `finish`, reminding it when it stops without, within the
 * step, token and reminder limits. Returns the proposal (an edit, or why it failed) and counts into `tally`.
 */
async function converse(
  ai: typeof import("ai"),
  conversation: Conversation,
  tally: ConversationTally,
): Promise<Proposal> {
  const { config, state, signal, secrets, maxSteps, maxReminders } = conversation;
  let stepUsage: TokenUsage | undefined;
  const tokenCount = () => (tally.usage?.inputTokens ?? 0) + (tally.usage?.outputTokens ?? 0);
  const roundTokens = (round: { steps: { usage: LanguageModelUsage }[] }) =>
    round.steps.reduce(
      (sum, step) => sum + (step.usage.inputTokens ?? 0) + (step.usage.outputTokens ?? 0),
      0,
    );
  const isFinished: StopCondition<ToolSet> = () => state.finished !== undefined;
  const isOverTokens: StopCondition<ToolSet> = (round) =>
    config.maxTotalTokens !== undefined && tokenCount() + roundTokens(round) >= config.maxTotalTokens;

  let messages: ModelMessage[] = [{ role: "user", content: conversation.prompt.prompt }];
  try {
    for (let round = 0; ; round++) {
      stepUsage = undefined;
      const response = await ai.generateText({
        model: conversation.model,
        system: conversation.prompt.system,
        messages,
        tools: conversation.tools as unknown as ToolSet,
        stopWhen: [isFinished, ai.stepCountIs(maxSteps - tally.steps), isOverTokens],
        maxRetries: 0,
        abortSignal: signal,
        ...(config.maxOutputTokens ? { maxOutputTokens: config.maxOutputTokens } : {}),
        ...(config.temperature === undefined ? {} : { temperature: config.temperature }),
        ...(config.providerOptions ? { providerOptions: config.providerOptions as never } : {}),
        onStepFinish: (step) => {
          stepUsage = addUsage(stepUsage, toTokenUsage(step.usage));
        },
      });
      tally.steps += response.steps.length;
      tally.usage = addUsage(tally.usage, toTokenUsage(response.totalUsage));
      tally.finishReason = response.finishReason;
      if (state.finished) break;
      const overTokens = config.maxTotalTokens !== undefined && tokenCount() >= config.maxTotalTokens;
      if (tally.steps >= maxSteps || overTokens || round >= maxReminders) {
        const limit = overTokens
          ? `the token limit (${config.maxTotalTokens})`
          : tally.steps >= maxSteps
            ? `the step limit (${maxSteps})`
            : `${maxReminders} reminders`;
        return { type: "failed", error: `The model did not call finish within ${limit}.` };
      }
      messages = [...messages, ...response.response.messages, { role: "user", content: reminder }];
    }
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    tally.usage = addUsage(tally.usage, stepUsage);
    return { type: "failed", error: `The model call failed: ${describeError(error, secrets)}` };
  }
  const finished = state.finished as WorkspaceToolState["finished"];
  if (!finished) return { type: "failed", error: "The model did not call finish." };
  return {
    type: "edit",
    description: redactSecrets(finished.description, secrets),
    ...(finished.rationale ? { rationale: redactSecrets(finished.rationale, secrets) } : {}),
  };
}

/** The proposal with its usage, estimated cost and metadata (model, steps, tool calls, changed files) added. */
function withAccounting(
  proposal: Proposal,
  conversation: Conversation,
  tally: ConversationTally,
  modelId: string,
): Proposal {
  if (proposal.type === "exhausted") return proposal;
  const { config, state, secrets } = conversation;
  const { usage, steps, finishReason } = tally;
  const estimate = usage
    ? estimateCost({
        modelId,
        usage,
        ...(config.prices ? { prices: config.prices } : {}),
      })
    : undefined;
  const metadata: Record<string, unknown> = {
    model: modelId,
    steps,
    toolCalls: state.toolCalls,
    refusals: state.refusals.length,
    changedFiles: [...state.changedFiles],
    ...(finishReason ? { finishReason } : {}),
    ...(estimate ? { priceKey: estimate.priceKey, costEstimated: estimate.estimated } : {}),
  };
  return {
    ...proposal,
    ...(usage ? { usage } : {}),
    ...(estimate ? { costUsd: estimate.costUsd } : {}),
    metadata: redactDeep(metadata, secrets),
  };
}

/**
 * The LLM proposer: a model (any AI SDK provider, or an OpenAI-compatible server) reads and edits the trial
 * worktree through file tools confined to it, then calls `finish` with a one-line description. Provider errors
 * are retried with backoff and then recorded as a failed proposal; tokens and an estimated cost are reported.
 *
 * `ai` and the providers are loaded on the first proposal, never when the library is imported.
 */
export function createLlmMutator(options: LlmMutatorOptions): Mutator {
  const parsed = parseOptions(llmMutatorOptionsSchema, options);
  const config = parsed;
  // A model object of an unsupported specification is refused now, not at the first proposal.
  if (isLanguageModelObject(config.model)) assertSupportedVersion(config.model);
  const retry = {
    maxRetries: config.retry?.maxRetries ?? 3,
    initialDelayMs: config.retry?.initialDelayMs ?? 2_000,
    backoffFactor: config.retry?.backoffFactor ?? 2,
    maxDelayMs: config.retry?.maxDelayMs ?? 60_000,
  };
  const maxSteps = config.maxSteps ?? 40;
  const maxReminders = config.maxReminders ?? 2;
  const name = config.name ?? "llm";
  const resolveModel = createModelResolver(config);

  async function propose(request: ProposeOptions): Promise<Proposal> {
    const signal = request.abortSignal;
    signal.throwIfAborted();
    const prompt = await llmPrompt(config, request);
    const ai = await import("ai");
    const resolved = await resolveModel();
    const secrets = collectSecrets([config.apiKey, ...resolved.secrets]);
    const model = withRetry(resolved.model, retry);
    const { tools, state } = createWorkspaceTools({
      directory: request.directory,
      scope: request.scope,
      abortSignal: signal,
    });
    const conversation: Conversation = {
      config,
      model,
      prompt,
      tools,
      state,
      signal,
      secrets,
      maxSteps,
      maxReminders,
    };
    const tally: ConversationTally = { usage: undefined, steps: 0, finishReason: undefined };
    const proposal = await converse(ai, conversation, tally);
    return withAccounting(proposal, conversation, tally, resolved.modelId);
  }

  // The instructions must be readable and the provider reachable in principle (a key, a URL) before the baseline.
  async function preflight({ directory }: PreflightOptions): Promise<void> {
    const problems: string[] = [];
    await readInstructions(config.instructions, [
      directory,
      ...(config.instructionsDirectory ? [config.instructionsDirectory] : []),
    ]).catch((error: unknown) => problems.push(error instanceof Error ? error.message : String(error)));
    const missing = describeMissingCredential(config.model as never, {
      ...(config.apiKey ? { apiKey: config.apiKey } : {}),
      ...(config.baseURL ? { baseURL: config.baseURL } : {}),
    });
    if (missing !== undefined) problems.push(`The model cannot be reached: ${missing}`);
    if (problems.length > 0) throw new ConfigurationError({ message: problems.join("; "), field: "model" });
  }

  return { name, propose, preflight };
}
