/**
 * Keeps credentials out of what proposers record: error messages (provider errors can echo request headers),
 * metadata and logs. Known secret values are replaced wherever they appear, and anything shaped like a bearer
 * token or an API key is masked as well.
 */

const secretName = /(API_KEY|APIKEY|_TOKEN|SECRET|PASSWORD)$/i;

/**
 * The values to hide: the given ones plus every environment variable whose name looks like a credential
 * (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, `HF_TOKEN`, …). Short values are skipped: they would mask ordinary text.
 */
export function collectSecrets(
  extra: readonly (string | undefined)[] = [],
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const values = new Set<string>();
  for (const value of extra) if (value && value.length >= 6) values.add(value);
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && secretName.test(name)) values.add(value);
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...values].sort((a, b) => b.length - a.length);
}

const patterns: readonly [RegExp, string][] = [
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, "$1 [redacted]"],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, "[redacted]"],
  [
    /("?(?:x-api-key|api-key|authorization|apiKey|api_key)"?\s*[:=]\s*"?)(?!\[redacted\]|bearer |basic )[^"\s,}]+/gi,
    "$1[redacted]",
  ],
];

/** Replaces every known secret and anything shaped like a credential with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join("[redacted]");
  for (const [pattern, replacement] of patterns) result = result.replace(pattern, replacement);
  return result;
}

/** A readable one-paragraph message for any thrown value, with its causes, secrets removed. */
export function describeError(error: unknown, secrets: readonly string[]): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      const status = (current as { statusCode?: unknown }).statusCode;
      const prefix = typeof status === "number" ? `HTTP ${status}: ` : "";
      const message = current.message;
      if (!parts.some((part) => part.includes(message))) parts.push(`${prefix}${message}`);
      current = (current as { lastError?: unknown }).lastError ?? current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  const message = parts.join(" — caused by: ").replace(/\s+/g, " ").trim();
  const bounded = message.length > 2000 ? `${message.slice(0, 2000)}…` : message;
  return redactSecrets(bounded || "unknown error", secrets);
}
