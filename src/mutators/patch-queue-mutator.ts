import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import type { Mutator, Proposal, ProposeOptions } from "../spec/mutator.js";
import type { PreflightOptions } from "../spec/preflight.js";
import { hardenedGitArguments, hardenedGitEnvironment } from "../workspace/hardened-git.js";

/** A patch written as code: edits the researched directory in place. */
export interface PatchFunction {
  /** Unique within the queue; recorded as `metadata.patch`, which is how a resumed run skips it. */
  name: string;
  /** One line for the ledger; the name when omitted. */
  description?: string;
  apply(options: { directory: string; abortSignal: AbortSignal }): Promise<void> | void;
}

const patchFunctionSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  apply: z.custom<PatchFunction["apply"]>((value) => typeof value === "function", "expected a function"),
});

const patchQueueMutatorOptionsSchema = z.strictObject({
  /** A folder of `.patch`/`.diff` files applied in name order, or a list of patch files and patch functions. */
  patches: z.union([
    z.string().min(1),
    z
      .array(z.union([z.string().min(1), patchFunctionSchema as z.ZodType<PatchFunction, PatchFunction>]))
      .min(1),
  ]),
  /** The folder that relative patch paths are resolved against; the current directory by default. */
  cwd: z.string().optional(),
  /** The mutator's name in the ledger. */
  name: z.string().min(1).optional(),
});

export type PatchQueueMutatorOptions = z.input<typeof patchQueueMutatorOptionsSchema>;

type Entry = { name: string; file: string } | { name: string; function: PatchFunction };

const patchExtensions = /\.(?:patch|diff)$/i;
const nameOrder = new Intl.Collator("en", { numeric: true });

/**
 * A mutator that tries a queue of prepared changes, one per trial, in order: patch files applied with `git apply`,
 * or functions that edit the directory. An entry is tried once: a resumed run skips every entry whose name a
 * history record holds as `proposer.metadata.patch`.
 *
 * Patch paths: a patch whose paths all start with the researched directory's path inside the repository (as
 * `git diff` at the repository root writes them) is applied from the repository root; any other patch is taken
 * as relative to the researched directory (as `git diff --relative` or `diff -ru a b` inside it write them) and
 * applied with `--directory`. Patches use `a/` and `b/` prefixes (git's `-p1`).
 */
export function createPatchQueueMutator(options: PatchQueueMutatorOptions): Mutator {
  const parsed = parseOptions(patchQueueMutatorOptionsSchema, options);
  const { patches, name = "patch-queue" } = parsed;
  const cwd = resolve(parsed.cwd ?? process.cwd());

  let fixedEntries: Entry[] | undefined;
  if (typeof patches === "string") {
    const folder = resolve(cwd, patches);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw new ConfigurationError({
        message: `Invalid \`patches\`: expected a folder of .patch or .diff files, got \`${patches}\` (${folder} is not a folder)`,
        field: "patches",
      });
    }
  } else {
    fixedEntries = patches.map((entry, index) => {
      if (typeof entry !== "string") return { name: entry.name, function: entry };
      const file = resolve(cwd, entry);
      if (!existsSync(file)) {
        throw new ConfigurationError({
          message: `Invalid \`patches.${index}\`: expected a patch file, got \`${entry}\` (${file} does not exist)`,
          field: `patches.${index}`,
        });
      }
      return { name: basename(file), file };
    });
    const seen = new Set<string>();
    for (const [index, entry] of fixedEntries.entries()) {
      if (seen.has(entry.name)) {
        throw new ConfigurationError({
          message: `Invalid \`patches.${index}\`: expected unique patch names, got \`${entry.name}\` twice`,
          field: `patches.${index}`,
        });
      }
      seen.add(entry.name);
    }
  }

  async function listEntries(): Promise<Entry[]> {
    if (fixedEntries !== undefined) return fixedEntries;
    // Read on every proposal, so patches dropped into the folder during a run join the queue.
    const folder = resolve(cwd, patches as string);
    const files = (await readdir(folder, { withFileTypes: true }))
      .filter((entry) => entry.isFile() && patchExtensions.test(entry.name))
      .map((entry) => entry.name)
      .sort(nameOrder.compare);
    return files.map((file) => ({ name: file, file: join(folder, file) }));
  }

  const untried = (entries: readonly Entry[], history: ProposeOptions["history"]) => {
    const tried = new Set(
      history.map((record) => record.proposer.metadata?.patch).filter((patch) => patch !== undefined),
    );
    return entries.filter((entry) => !tried.has(entry.name));
  };

  /**
   * Every patch file left must be a patch, and, on a fresh queue, the first must apply to the code. Nothing else
   * is tried against the incumbent: a queue may build on its own earlier patches, which apply only once those are
   * kept, so after a discard a later patch may fail to apply, and that is a result, not a mistake.
   */
  async function preflight({ directory, history, abortSignal }: PreflightOptions): Promise<void> {
    const entries = await listEntries();
    if (entries.length === 0) {
      throw new ConfigurationError({
        message: `The patch folder ${resolve(cwd, patches as string)} holds no .patch or .diff file`,
        field: "patches",
      });
    }
    const left = untried(entries, history);
    const problems: string[] = [];
    for (const entry of left) {
      if (!("file" in entry)) continue;
      const text = await readFile(entry.file, "utf8");
      if (patchPaths(text).length === 0)
        problems.push(`${entry.name} is not a unified diff (no ---/+++ lines)`);
    }
    const next = left[0];
    if (next !== undefined && next === entries[0] && "file" in next && problems.length === 0) {
      const failure = await applyPatchFile(
        next.file,
        await readFile(next.file, "utf8"),
        directory,
        abortSignal,
        {
          check: true,
        },
      );
      if (failure !== undefined)
        problems.push(`the first patch, ${next.name}, does not apply to the code: ${failure}`);
    }
    if (problems.length > 0) {
      throw new ConfigurationError({ message: problems.join("; "), field: "patches" });
    }
  }

  async function propose(proposeOptions: ProposeOptions): Promise<Proposal> {
    const { directory, abortSignal, history } = proposeOptions;
    abortSignal.throwIfAborted();
    if (proposeOptions.repair !== undefined) {
      return { type: "failed", error: `${name} applies prepared patches and cannot repair a crashed trial` };
    }
    const entries = await listEntries();
    const next = untried(entries, history)[0];
    if (next === undefined) {
      return {
        type: "exhausted",
        reason:
          entries.length === 0 ? "the patch queue is empty" : `all ${entries.length} patches have been tried`,
      };
    }
    const metadata = { patch: next.name };
    if ("function" in next) {
      try {
        await next.function.apply({ directory, abortSignal });
      } catch (error) {
        abortSignal.throwIfAborted();
        return { type: "failed", error: `${next.name}: ${errorMessage(error)}`, metadata };
      }
      return { type: "edit", description: next.function.description ?? next.name, metadata };
    }
    const text = await readFile(next.file, "utf8");
    const failure = await applyPatchFile(next.file, text, directory, abortSignal);
    if (failure !== undefined) return { type: "failed", error: `${next.name}: ${failure}`, metadata };
    return { type: "edit", description: describePatch(text) ?? next.name, metadata };
  }

  return { name, propose, preflight };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Applies a patch file with `git apply`; returns git's message when it does not apply. */
async function applyPatchFile(
  file: string,
  text: string,
  directory: string,
  abortSignal: AbortSignal,
  options: { check?: boolean } = {},
): Promise<string | undefined> {
  const git = (args: string[], cwd: string) =>
    // Detached: out of the terminal's process group, so Ctrl-C stops the research rather than git. Hardened: no
    // hooks, no fsmonitor, nothing from the environment redirects git.
    execa("git", [...hardenedGitArguments, ...args], {
      cwd,
      reject: false,
      cancelSignal: abortSignal,
      stdin: "ignore",
      detached: true,
      env: hardenedGitEnvironment(),
      extendEnv: false,
    });
  const root = await git(["rev-parse", "--show-toplevel", "--show-prefix"], directory);
  let cwd = directory;
  const args = ["apply", "--whitespace=nowarn", ...(options.check ? ["--check"] : [])];
  if (root.exitCode === 0) {
    const [topLevel = directory, prefix = ""] = root.stdout.split("\n");
    // `git apply` in a sub-folder silently skips paths outside it; from the top level nothing is skipped.
    cwd = topLevel;
    const paths = patchPaths(text);
    const rootRelative =
      prefix === "" || (paths.length > 0 && paths.every((path) => path.startsWith(prefix)));
    if (!rootRelative) args.push(`--directory=${prefix.replace(/\/$/, "")}`);
  }
  const result = await git([...args, file], cwd);
  abortSignal.throwIfAborted();
  if (result.exitCode === 0) return undefined;
  return (result.stderr || result.stdout || `git apply exited with ${result.exitCode}`).trim();
}

/** The file paths a unified diff touches, without their `a/` and `b/` prefixes. */
export function patchPaths(text: string): string[] {
  const paths = new Set<string>();
  for (const line of text.split("\n")) {
    const match = /^(?:---|\+\+\+) (.+)$/.exec(line);
    if (match === null) continue;
    let path = match[1]!.replace(/\t.*$/, "").trimEnd();
    if (path.startsWith('"')) {
      try {
        path = JSON.parse(path) as string;
      } catch {
        continue;
      }
    }
    if (path === "/dev/null") continue;
    paths.add(path.replace(/^[ab]\//, ""));
  }
  return [...paths];
}

/** A patch's one-line description: its `Subject:` (as `git format-patch` writes it), or the first line of prose before the diff. */
export function describePatch(text: string): string | undefined {
  const lines = text.split("\n");
  const end = lines.findIndex((line) => /^(?:diff |--- |\+\+\+ |Index: |@@ )/.test(line));
  const header = end === -1 ? lines : lines.slice(0, end);
  const subjectIndex = header.findIndex((line) => line.startsWith("Subject: "));
  if (subjectIndex !== -1) {
    let subject = header[subjectIndex]!.slice("Subject: ".length);
    for (const line of header.slice(subjectIndex + 1)) {
      if (!/^[ \t]/.test(line)) break;
      subject += ` ${line.trim()}`;
    }
    subject = subject.replace(/^\[[^\]]*\]\s*/, "").trim();
    if (subject !== "") return subject;
  }
  const mailHeader = /^(?:From |From:|Date:|To:|Cc:|Message-Id:|MIME-Version:|Content-)/i;
  const prose = header.find((line) => line.trim() !== "" && !mailHeader.test(line) && line.trim() !== "---");
  return prose?.trim();
}
