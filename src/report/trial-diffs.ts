import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TrialRecord } from "../spec/records.js";
import { hardenedGitArguments, hardenedGitEnvironment } from "../workspace/hardened-git.js";

export interface ReadTrialDiffsOptions {
  /** The researched directory (any directory inside the git repository). */
  directory: string;
  records: readonly TrialRecord[];
  /**
   * At most this many diffs are read: every kept trial first, then the most recent others. Default 1000, so a
   * report of a very long research stays a size a browser opens quickly.
   */
  maxDiffs?: number;
  /** A longer diff is cut here, with a note saying how to see all of it. Default 20,000 characters. */
  maxDiffLength?: number;
  abortSignal?: AbortSignal;
}

/** The trials whose diffs a report embeds: all kept ones, then the latest, up to `maxDiffs`. */
export function selectDiffTrials(records: readonly TrialRecord[], maxDiffs: number): TrialRecord[] {
  const withCommit = records.filter((record) => record.commit !== null && record.commit !== record.parent);
  if (withCommit.length <= maxDiffs) return withCommit;
  const kept = withCommit.filter((record) => record.status === "keep");
  const chosen = new Set(kept.slice(-maxDiffs));
  for (let index = withCommit.length - 1; index >= 0 && chosen.size < maxDiffs; index--) {
    const record = withCommit[index];
    if (record !== undefined) chosen.add(record);
  }
  return withCommit.filter((record) => chosen.has(record));
}

/**
 * Runs git with its input and output in files rather than pipes, so it runs to the end on its own while this
 * thread is busy drawing the chart, instead of stalling on a full pipe.
 */
async function git(
  directory: string,
  args: string[],
  input: string,
  abortSignal: AbortSignal | undefined,
): Promise<{ code: number | null; stdout: string }> {
  const scratch = await mkdtemp(join(tmpdir(), "autoresearch-diffs-"));
  try {
    const inputFile = join(scratch, "input");
    const outputFile = join(scratch, "output");
    await writeFile(inputFile, input);
    const stdin = await open(inputFile, "r");
    const stdout = await open(outputFile, "w");
    let code: number | null;
    try {
      code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn("git", [...hardenedGitArguments, ...args], {
          cwd: directory,
          env: hardenedGitEnvironment(),
          stdio: [stdin.fd, stdout.fd, "ignore"],
          ...(abortSignal === undefined ? {} : { signal: abortSignal }),
        });
        child.on("error", reject);
        child.on("close", resolve);
      });
    } finally {
      await stdin.close();
      await stdout.close();
    }
    return { code, stdout: await readFile(outputFile, "utf8") };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function existingObjects(
  directory: string,
  ids: string[],
  abortSignal?: AbortSignal,
): Promise<Set<string>> {
  const result = await git(directory, ["cat-file", "--batch-check"], `${ids.join("\n")}\n`, abortSignal);
  const present = new Set<string>();
  for (const line of result.stdout.split("\n")) {
    const [id, type] = line.split(" ");
    if (id !== undefined && type === "commit") present.add(id);
  }
  return present;
}

/**
 * Reads the diffs of many trials with one `git diff-tree --stdin` process: `git diff <parent> <commit>` for each,
 * by trial id. Trials whose commits are gone (pruned refs) are left out rather than failing the report.
 */
export async function readTrialDiffs(options: ReadTrialDiffsOptions): Promise<Map<number, string>> {
  const maxLength = options.maxDiffLength ?? 20_000;
  const chosen = selectDiffTrials(options.records, options.maxDiffs ?? 1000);
  const diffs = new Map<number, string>();
  if (chosen.length === 0) return diffs;
  // diff-tree skips a missing object without failing, which would read as "no changes": check them first.
  const wanted = chosen.map((record) => ({
    id: record.id,
    commit: record.commit as string,
    parent: record.parent,
  }));
  const present = await existingObjects(
    options.directory,
    [...new Set(wanted.flatMap((pair) => [pair.commit, pair.parent]))],
    options.abortSignal,
  );
  const pairs = wanted.filter((pair) => present.has(pair.commit) && present.has(pair.parent));
  if (pairs.length === 0) return diffs;
  const result = await git(
    options.directory,
    ["diff-tree", "--stdin", "-p", "--no-color", "--no-renames", "-r"],
    `${pairs.map((pair) => `${pair.commit} ${pair.parent}`).join("\n")}\n`,
    options.abortSignal,
  );
  if (result.code !== 0) return diffs;

  // diff-tree prints the commit id on a line of its own before each non-empty diff; no diff line looks like that.
  const byCommit = new Map<string, number[]>();
  for (const pair of pairs) byCommit.set(pair.commit, [...(byCommit.get(pair.commit) ?? []), pair.id]);
  let current: number[] | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (current === undefined) return;
    let text = lines.join("\n");
    if (text.length > maxLength) {
      const cut = text.lastIndexOf("\n", maxLength);
      text = `${text.slice(0, cut > 0 ? cut : maxLength)}\n… diff cut at ${maxLength} characters`;
    }
    for (const id of current) diffs.set(id, text.endsWith("\n") ? text : `${text}\n`);
  };
  for (const line of result.stdout.split("\n")) {
    const ids = /^[0-9a-f]{40,64}$/.test(line) ? byCommit.get(line) : undefined;
    if (ids !== undefined) {
      flush();
      current = ids;
      lines = [];
    } else if (current !== undefined) lines.push(line);
  }
  flush();
  for (const pair of pairs) if (!diffs.has(pair.id)) diffs.set(pair.id, "");
  return diffs;
}
