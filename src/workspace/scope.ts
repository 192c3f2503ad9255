import picomatch from "picomatch";
import type { Scope } from "../spec/mutator.js";

export interface ScopeCheck {
  /** Changed files outside the editable globs (or outside the researched directory). */
  outside: string[];
  /** Changed files matching a protected glob. */
  protected: string[];
}

/** Compiles a list of globs, relative to the researched directory, into one predicate. Dotfiles match. */
export function createMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  return picomatch([...globs], { dot: true });
}

/**
 * Checks a proposal's changed files (relative to the researched directory; a path starting with `../` lies
 * outside it) against the scope.
 */
export function checkScope(changedFiles: readonly string[], scope: Scope): ScopeCheck {
  const isEditable = createMatcher(scope.editable);
  const isProtected = createMatcher(scope.protected);
  const outside: string[] = [];
  const protectedFiles: string[] = [];
  for (const file of changedFiles) {
    if (isProtected(file)) protectedFiles.push(file);
    else if (file.startsWith("../") || !isEditable(file)) outside.push(file);
  }
  return { outside, protected: protectedFiles };
}
