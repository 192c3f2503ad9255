/** The promptfoo executable of the example's own install. */
export function promptfooBin(): string;
/** Installs the example's tools unless the pinned promptfoo is there already; returns the promptfoo executable. */
export function ensureInstalled(log?: (line: string) => void): string;
