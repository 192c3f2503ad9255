/**
 * Where the search text of an edit occurs in a file, and the nearest text when it occurs nowhere, for the
 * `edit_file` tool's messages.
 */

/** How often each two-character sequence occurs in the text. */
function bigrams(text: string): Map<string, number> {
  const grams = new Map<string, number>();
  for (let index = 0; index < text.length - 1; index++) {
    const gram = text.slice(index, index + 2);
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

/** Dice coefficient on character bigrams of the trimmed lines: 1 for equal lines, 0 for nothing in common. */
function lineSimilarity(a: string, b: string): number {
  const left = a.trim();
  const right = b.trim();
  if (left === right) return 1;
  if (left.length < 2 || right.length < 2) return 0;
  const gramsA = bigrams(left);
  const gramsB = bigrams(right);
  let common = 0;
  for (const [gram, count] of gramsA) common += Math.min(count, gramsB.get(gram) ?? 0);
  return (2 * common) / (left.length - 1 + (right.length - 1));
}

/** The window of the file's lines most like the searched text, for a helpful "not found" message. */
export function findNearestMatch(
  content: string,
  search: string,
): { startLine: number; endLine: number; similarity: number; text: string } | undefined {
  const lines = content.split("\n");
  const wanted = search.replace(/\n$/, "").split("\n");
  const size = Math.min(wanted.length, lines.length);
  if (size === 0) return undefined;
  // Bound the work on huge files: compare whole windows only while it stays cheap, else first lines only.
  const compared = lines.length * size > 400_000 ? 1 : size;
  let best: { start: number; score: number } | undefined;
  for (let start = 0; start + size <= lines.length; start++) {
    let score = 0;
    for (let offset = 0; offset < compared; offset++) {
      score += lineSimilarity(lines[start + offset] ?? "", wanted[offset] ?? "");
    }
    score /= compared;
    if (best === undefined || score > best.score) best = { start, score };
  }
  if (best === undefined || best.score === 0) return undefined;
  return {
    startLine: best.start + 1,
    endLine: best.start + size,
    similarity: best.score,
    text: lines.slice(best.start, best.start + size).join("\n"),
  };
}

/**
 * The start of every occurrence of `search` in `content`, overlapping ones included: an edit must match exactly
 * one place, and `x\nx` occurs twice in `x\nx\nx`.
 */
export function countOccurrences(content: string, search: string): number[] {
  const positions: number[] = [];
  let from = 0;
  for (;;) {
    const index = content.indexOf(search, from);
    if (index === -1) return positions;
    positions.push(index);
    from = index + 1;
  }
}

/** The 1-based line of a character index. */
export function lineOf(content: string, index: number): number {
  let line = 1;
  for (let position = 0; position < index; position++) if (content.charCodeAt(position) === 10) line++;
  return line;
}
