/**
 * Keeps credentials out of everything that leaves the harness: ledger records, logs, prompts, reports and error
 * messages. Secrets are found by value (the keys the research was given, the environment variables whose names
 * look like credentials, passwords in URLs, a list the user gives) and replaced wherever they appear; text shaped
 * like a bearer token or an API key is masked as well.
 */

/** Names of environment variables that hold credentials: `*_KEY`, `*_PAT`, `*TOKEN*`, `*SECRET*`, `*PASSWORD*`, … */
export const secretNamePattern =
  /(?:^|_)(?:KEY|PAT)$|API_?KEY|TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|CREDENTIAL|PRIVATE_?KEY|ACCESS_?KEY/i;

// Values shorter than these would mask ordinary text.
const minimumNamedLength = 8;
const minimumGivenLength = 6;

const urlPassword = /[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:([^/?#@\s]+)@/gi;

/** The passwords of the URLs in `text` (`https://user:password@host`). */
export function urlPasswords(text: string): string[] {
  return [...text.matchAll(urlPassword)].map((match) => match[1] as string);
}

/**
 * The values to hide: `extra` (keys given to the research, a user's list) plus, from `env`, every value of a
 * variable whose name looks like a credential and every password in a URL. Longest first, so a secret that
 * contains another is replaced whole.
 */
export function collectSecrets(
  extra: readonly (string | undefined)[] = [],
  env: NodeJS.ProcessEnv | Record<string, string> = process.env,
): string[] {
  const values = new Set<string>();
  for (const value of extra) if (value && value.length >= minimumGivenLength) values.add(value);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (value.length >= minimumNamedLength && secretNamePattern.test(name)) values.add(value);
    for (const password of urlPasswords(value)) {
      if (password.length >= minimumGivenLength) values.add(password);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

const patterns: readonly [RegExp, string][] = [
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, "$1 [redacted]"],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{8,}/g, "[redacted]"],
  [
    /("?(?:x-api-key|api-key|authorization|apiKey|api_key)"?\s*[:=]\s*"?)(?!\[redacted\]|bearer |basic )[^"\s,}]+/gi,
    "$1[redacted]",
  ],
  [/([a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:)(?!\[redacted\]@)[^/?#@\s]+@/gi, "$1[redacted]@"],
];

/** Replaces each of `secrets` with `[redacted]`, and nothing else (cheap enough for every line of a log). */
export function redactValues(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join("[redacted]");
  return result;
}

/** Replaces every known secret and anything shaped like a credential with `[redacted]`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let result = redactValues(text, secrets);
  for (const [pattern, replacement] of patterns) result = result.replace(pattern, replacement);
  return result;
}

/** A copy of a JSON-like value (a record, an event) with every string redacted; other values are kept as they are. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  if (typeof value === "string") return redactSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets)) as T;
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, redactDeep(item, secrets)]),
    ) as T;
  }
  return value;
}
