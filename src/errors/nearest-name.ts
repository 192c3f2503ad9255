/**
 * Edit distance between two names (optimal string alignment: insertions, deletions, substitutions and swaps of
 * neighbours each cost 1), compared without regard to case so that `timeoutMS` is one step from `timeoutMs`.
 */
export function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  const rows = left.length + 1;
  const columns = right.length + 1;
  const distance: number[][] = Array.from({ length: rows }, (_, row) =>
    Array.from({ length: columns }, (_, column) => (row === 0 ? column : column === 0 ? row : 0)),
  );
  for (let row = 1; row < rows; row++) {
    for (let column = 1; column < columns; column++) {
      const cost = left[row - 1] === right[column - 1] ? 0 : 1;
      const current = distance[row] as number[];
      const previous = distance[row - 1] as number[];
      let best = Math.min(
        (previous[column] as number) + 1,
        (current[column - 1] as number) + 1,
        (previous[column - 1] as number) + cost,
      );
      if (
        row > 1 &&
        column > 1 &&
        left[row - 1] === right[column - 2] &&
        left[row - 2] === right[column - 1]
      ) {
        best = Math.min(best, (distance[row - 2]?.[column - 2] as number) + 1);
      }
      current[column] = best;
    }
  }
  // A difference of case alone still counts, so an exact match always wins over a case variant.
  const caseOnly = a !== b && left === right ? 0.5 : 0;
  return (distance[rows - 1]?.[columns - 1] as number) + caseOnly;
}

/**
 * The valid name a mistyped one most likely meant, or `undefined` when none is close: within a third of the
 * longer name's length (at least 2 edits), or when one contains the other (`protect` for `protected`).
 */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(name.length, best.length) / 3));
  if (bestDistance <= limit) return best;
  const lower = name.toLowerCase();
  const contained = candidates.filter(
    (candidate) =>
      lower.length >= 4 &&
      (candidate.toLowerCase().includes(lower) || lower.includes(candidate.toLowerCase())),
  );
  return contained.length === 1 ? contained[0] : undefined;
}
