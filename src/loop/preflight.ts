import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { PreflightOptions } from "../spec/preflight.js";
import type { TrialRecord } from "../spec/records.js";
import { gitOutput } from "../workspace/git.js";
import { createMatcher } from "../workspace/scope.js";
import type { Workspace } from "../workspace/workspace.js";
import type { NormalizedResearchOptions } from "./research-options.js";

/**
 * The environment variables the loop gives every run, besides the research's `env`, the run's number and its
 * seed. `AUTORESEARCH_ROOT` and `AUTORESEARCH_DIRECTORY` name the user's own checkout (the repository's root and
 * the researched directory in it): a run starts in the trial worktree, which holds only tracked files, so an
 * untracked virtualenv, data set or tool is reached through them, e.g. `"$AUTORESEARCH_DIRECTORY/.venv/bin/python"`.
 */
export function researchEnvironment(
  workspace: Pick<Workspace, "tag" | "repositoryRoot" | "directory">,
): Record<string, string> {
  return {
    AUTORESEARCH_TAG: workspace.tag,
    AUTORESEARCH_ROOT: workspace.repositoryRoot,
    AUTORESEARCH_DIRECTORY: workspace.directory,
  };
}

function sample(files: readonly string[]): string {
  if (files.length === 0) return "none";
  const shown = files.slice(0, 5).join(", ");
  return files.length > 5 ? `${shown}, … (${files.length} in all)` : shown;
}

/** Problems with the scope's globs against the files of the trial worktree: failures and warnings. */
function checkGlobs(options: NormalizedResearchOptions, files: readonly string[]) {
  const failures: string[] = [];
  const warnings: string[] = [];
  const unmatched = (globs: readonly string[]) =>
    globs.filter((glob) => {
      const matches = createMatcher([glob]);
      return !files.some((file) => matches(file));
    });
  const { editable, protected: protectedGlobs } = options.scope;
  const editableMisses = unmatched(editable);
  if (editableMisses.length === editable.length) {
    failures.push(
      `scope.editable: no file of the researched directory matches ${editable.map((glob) => `\`${glob}\``).join(", ")}, so no proposal could change anything (files there: ${sample(files)})`,
    );
  } else if (editableMisses.length > 0) {
    warnings.push(
      `scope.editable: ${editableMisses.map((glob) => `\`${glob}\``).join(", ")} matches no file yet (only new files could match it)`,
    );
  }
  const protectedMisses = unmatched(protectedGlobs);
  if (protectedMisses.length > 0) {
    warnings.push(
      `scope.protected: ${protectedMisses.map((glob) => `\`${glob}\``).join(", ")} matches no file, so it protects nothing`,
    );
  }
  return { failures, warnings };
}

/**
 * Checks, before the baseline, what can be checked without running anything: the scope's globs against the
 * files, and each role through its optional `preflight` (the program is installed, a key is set, the parameters
 * are in their file, the patches apply). All problems are reported together as one ConfigurationError, which the
 * CLI answers with exit code 2; what is only suspicious comes back as warnings.
 */
export async function preflightResearch(context: {
  options: NormalizedResearchOptions;
  workspace: Workspace;
  records: readonly TrialRecord[];
  abortSignal: AbortSignal;
}): Promise<string[]> {
  const { options, workspace } = context;
  const files = (await gitOutput(workspace.trialDirectory, ["ls-files", "-z"])).split("\0").filter(Boolean);
  const globs = checkGlobs(options, files);
  const preflightOptions: PreflightOptions = {
    directory: workspace.trialDirectory,
    checkout: workspace.directory,
    scope: options.scope,
    env: { ...options.env, ...researchEnvironment(workspace) },
    history: context.records,
    abortSignal: context.abortSignal,
  };
  const roles = [
    ["runner", options.runner],
    ["objective", options.objective],
    ["mutator", options.mutator],
    ["holdout.runner", options.holdout?.runner],
    ["holdout.objective", options.holdout?.objective],
  ] as const;
  const roleWarnings: string[] = [];
  const checked = await Promise.all(
    roles.map(async ([field, role]) => {
      if (role?.preflight === undefined) return undefined;
      try {
        const result = await role.preflight(preflightOptions);
        for (const warning of result?.warnings ?? [])
          roleWarnings.push(`${field} (${role.name}): ${warning}`);
        return undefined;
      } catch (error) {
        return `${field} (${role.name}): ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
  const failures = [...globs.failures, ...checked.filter((line) => line !== undefined)];
  // Stopped meanwhile (Ctrl-C): a check cut short is no finding; the loop sees the abort and ends.
  if (context.abortSignal.aborted) return [];
  if (failures.length > 0) {
    throw new ConfigurationError({
      field: "preflight",
      message: `Found ${failures.length === 1 ? "a problem" : `${failures.length} problems`} before running anything:\n${failures.map((line) => `  - ${line}`).join("\n")}`,
    });
  }
  return [...globs.warnings, ...roleWarnings];
}
