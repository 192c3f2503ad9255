import { randomUUID } from "node:crypto";

const words = ["NaN", "Infinity", "-Infinity"] as const;

/**
 * Parses JSON that may hold the bare words `NaN`, `Infinity` and `-Infinity` as numbers, as Python's `json.dump`
 * and pydantic write them (Inspect AI's logs do). They come back as the numbers they name. Words inside strings
 * are left alone. Plain JSON takes the fast path.
 */
export function parseJsonAllowingNonFinite(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const marker = `\u0000non-finite-${randomUUID()}:`;
    const { replaced, count } = quoteNonFiniteWords(text, JSON.stringify(marker).slice(1, -1));
    if (count === 0) throw error;
    return JSON.parse(replaced, (_key, value: unknown) => {
      if (typeof value !== "string" || !value.startsWith(marker)) return value;
      const word = value.slice(marker.length);
      return word === "NaN" ? Number.NaN : word === "Infinity" ? Infinity : -Infinity;
    });
  }
}

/** Turns each non-finite word outside a string into a string holding `marker` and the word. */
function quoteNonFiniteWords(text: string, marker: string): { replaced: string; count: number } {
  const parts: string[] = [];
  let start = 0;
  let count = 0;
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    if (character === '"') {
      // Skip the string, escapes included.
      index++;
      while (index < text.length && text[index] !== '"') index += text[index] === "\\" ? 2 : 1;
      index++;
      continue;
    }
    if (character === "N" || character === "I" || character === "-") {
      const word = words.find((candidate) => text.startsWith(candidate, index));
      if (word !== undefined) {
        parts.push(text.slice(start, index), `"${marker}${word}"`);
        index += word.length;
        start = index;
        count++;
        continue;
      }
    }
    index++;
  }
  parts.push(text.slice(start));
  return { replaced: parts.join(""), count };
}
