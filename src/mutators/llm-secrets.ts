import { redactSecrets } from "../secrets/secret-values.js";

/**
 * Keeps credentials out of what proposers record: error messages (provider errors can echo request headers),
 * metadata and logs. The secrets are found and replaced by `src/secrets/secret-values.ts`.
 */
export { collectSecrets, redactDeep, redactSecrets } from "../secrets/secret-values.js";

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
