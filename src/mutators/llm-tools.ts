import type { Dirent } from "node:fs";
import { lstat, mkdir, readdir, readFile, realpath, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";
import type { Scope } from "../spec/mutator.js";
import { type SearchFile, searchWithRegex } from "./regex-search.js";

/**
 * The file tools the LLM proposer works through, confined to one directory. This module does not import `ai`:
 * a tool is a plain `{ description, inputSchema, execute }` object, which is all `generateText` needs.
 */

export interface WorkspaceToolLimits {
  /** Characters a single read returns before asking for a line range. */
  readChars: number;
  /** Files larger than this are not read or searched. */
  maxFileBytes: number;
  /** Entries a listing returns. */
  listEntries: number;
  /** Matches a search returns. */
  searchMatches: number;
  /** How long a regular-expression search may take before it is stopped. */
  searchTimeoutMs: number;
}

export const defaultWorkspaceToolLimits: Readonly<WorkspaceToolLimits> = {
  readChars: 60_000,
  maxFileBytes: 2_000_000,
  listEntries: 400,
  searchMatches: 100,
  searchTimeoutMs: 5_000,
};

export interface WorkspaceToolsOptions {
  /** The only directory the tools may read or write: the trial worktree's researched directory. */
  directory: string;
  /** Globs relative to `directory`; writes must match `editable` and no `protected` glob. */
  scope: Scope;
  limits?: Partial<WorkspaceToolLimits>;
  /** Ends a search under way (the proposal was aborted). */
  abortSignal?: AbortSignal;
}

/** What the model did through the tools, for the proposal and its metadata. */
export interface WorkspaceToolState {
  /** Files written or edited, relative to the directory. */
  changedFiles: Set<string>;
  /** Every refusal or error message returned to the model. */
  refusals: string[];
  toolCalls: number;
  finished: { description: string; rationale: string } | undefined;
}

/** A tool as `generateText` accepts it. */
export interface WorkspaceTool<INPUT> {
  description: string;
  inputSchema: z.ZodType<INPUT>;
  execute: (input: INPUT) => Promise<string>;
}

/** The names of the tools, as the model sees them. */
export const workspaceToolNames = [
  "list_files",
  "read_file",
  "search_text",
  "edit_file",
  "write_file",
  "finish",
];

/** A refusal: its message goes back to the model as the tool's result. */
class Refusal extends Error {}

const skippedDirectories = new Set([
  ".git",
  "node_modules",
  ".autoresearch",
  "__pycache__",
  ".venv",
  ".mypy_cache",
]);

/** Whether a relative path goes into or onto a `.git` (in any letter case: some file systems ignore it). */
function touchesGit(path: string): boolean {
  return path.split(/[\\/]/).some((part) => part.toLowerCase() === ".git");
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

function isInside(root: string, target: string): boolean {
  const path = relative(root, target);
  return path === "" || (!path.startsWith("..") && !isAbsolute(path));
}

function isBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, 8000).includes(0);
}

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

function countOccurrences(content: string, search: string): number[] {
  const positions: number[] = [];
  let from = 0;
  for (;;) {
    const index = content.indexOf(search, from);
    if (index === -1) return positions;
    positions.push(index);
    from = index + search.length;
  }
}

function lineOf(content: string, index: number): number {
  let line = 1;
  for (let position = 0; position < index; position++) if (content.charCodeAt(position) === 10) line++;
  return line;
}

/**
 * Builds the file tools over one directory. Every path is resolved against it and checked with `realpath`, so
 * `..`, absolute paths and symlinks leading outside are refused before any file is opened; writes are also checked
 * against the editable scope and the protected files. Refusals are returned to the model as messages.
 */
export function createWorkspaceTools(options: WorkspaceToolsOptions): {
  tools: Record<string, WorkspaceTool<never>>;
  state: WorkspaceToolState;
} {
  const limits: WorkspaceToolLimits = { ...defaultWorkspaceToolLimits, ...options.limits };
  const root = resolve(options.directory);
  const isEditable = picomatch([...options.scope.editable], { dot: true });
  const protectedGlobs = [...options.scope.protected];
  const isProtected = protectedGlobs.length > 0 ? picomatch(protectedGlobs, { dot: true }) : () => false;
  const state: WorkspaceToolState = {
    changedFiles: new Set(),
    refusals: [],
    toolCalls: 0,
    finished: undefined,
  };
  let realRoot: string | undefined;

  async function getRealRoot(): Promise<string> {
    realRoot ??= await realpath(root);
    return realRoot;
  }

  /** Resolves a path the model gave; throws a Refusal for anything that is not inside the directory. */
  async function resolvePath(
    input: string,
    purpose: "read" | "write" | "list",
  ): Promise<{ path: string; name: string }> {
    const raw = input.trim();
    if (raw.includes("\0")) throw new Refusal("The path contains a NUL character.");
    if (isAbsolute(raw) || /^[a-zA-Z]:[\\/]/.test(raw) || raw.startsWith("~")) {
      throw new Refusal(
        `Refused \`${raw}\`: absolute paths are not allowed; give a path relative to the project root.`,
      );
    }
    const path = resolve(root, raw.replaceAll("\\", "/") || ".");
    if (!isInside(root, path)) {
      throw new Refusal(
        `Refused \`${raw}\`: it is outside the project directory. Paths must stay inside it.`,
      );
    }
    const name = toPosix(relative(root, path)) || ".";
    const gitRefusal = () =>
      new Refusal(
        `Refused \`${raw}\`: the .git directory is off limits (the repository's own files, or a nested repository), whatever the path or link leading there.`,
      );
    if (touchesGit(name)) throw gitRefusal();
    const base = await getRealRoot();
    // Resolve every symlink on the way; a new file is checked through its nearest existing ancestor.
    let existing = path;
    for (;;) {
      try {
        const real = await realpath(existing);
        if (!isInside(base, real)) {
          throw new Refusal(
            `Refused \`${raw}\`: it resolves (through a symbolic link) to a location outside the project directory.`,
          );
        }
        // Where the path really leads, through every link on the way: never into or onto a .git.
        if (touchesGit(toPosix(relative(base, resolve(real, relative(existing, path)))))) throw gitRefusal();
        if (purpose === "write" && existing === path) {
          const realName = toPosix(relative(base, real));
          if ((await lstat(path)).isSymbolicLink()) {
            throw new Refusal(
              `Refused \`${raw}\`: it is a symbolic link; edit the file it points to instead.`,
            );
          }
          if (realName !== name) checkWritable(realName, raw);
        }
        break;
      } catch (error) {
        if (error instanceof Refusal) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
        if (purpose !== "write" && existing === path) throw new Refusal(`\`${name}\` does not exist.`);
        const parent = dirname(existing);
        if (parent === existing) throw error;
        existing = parent;
      }
    }
    return { path, name };
  }

  function checkWritable(name: string, raw: string): void {
    if (isProtected(name))
      throw new Refusal(`Refused \`${raw}\`: \`${name}\` is a protected file and must not change.`);
    if (!isEditable(name)) {
      const globs = options.scope.editable.map((glob) => `\`${glob}\``).join(", ");
      throw new Refusal(
        `Refused \`${raw}\`: \`${name}\` is outside the editable scope (${globs || "nothing is editable"}).`,
      );
    }
  }

  async function readText(path: string, name: string): Promise<string> {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT")
        throw new Refusal(`\`${name}\` does not exist; create new files with write_file.`);
      throw error;
    });
    if (info.isDirectory()) throw new Refusal(`\`${name}\` is a directory; use list_files.`);
    if (info.size > limits.maxFileBytes) {
      throw new Refusal(
        `\`${name}\` is too large to read (${info.size} bytes, limit ${limits.maxFileBytes}).`,
      );
    }
    const buffer = await readFile(path);
    if (isBinary(buffer)) throw new Refusal(`\`${name}\` is a binary file.`);
    return buffer.toString("utf8");
  }

  async function walk(start: string, visit: (path: string, name: string, entry: Dirent) => Promise<boolean>) {
    const queue = [start];
    while (queue.length > 0) {
      const directory = queue.shift() as string;
      let entries: Dirent[];
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch {
        continue;
      }
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (entry.isDirectory() && skippedDirectories.has(entry.name)) continue;
        if (entry.name.toLowerCase() === ".git") continue;
        const path = resolve(directory, entry.name);
        const name = toPosix(relative(root, path));
        if (!(await visit(path, name, entry))) return;
        // Symlinked directories are not followed: they may lead outside.
        if (entry.isDirectory()) queue.push(path);
      }
    }
  }

  async function searchLiteral(query: string, files: readonly SearchFile[]) {
    const matches: string[] = [];
    for (const file of files) {
      options.abortSignal?.throwIfAborted();
      const info = await stat(file.path);
      if (info.size > limits.maxFileBytes) continue;
      const buffer = await readFile(file.path);
      if (isBinary(buffer)) continue;
      for (const [index, line] of buffer.toString("utf8").split("\n").entries()) {
        if (!line.includes(query)) continue;
        if (matches.length >= limits.searchMatches) return { matches, more: true };
        matches.push(`${file.name}:${index + 1}: ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
      }
    }
    return { matches, more: false };
  }

  function label(name: string): string {
    if (isProtected(name)) return " [protected]";
    if (isEditable(name)) return " [editable]";
    return "";
  }

  // Tool calls of one step run concurrently; one at a time keeps two edits of a file from losing one another.
  let queue: Promise<unknown> = Promise.resolve();

  function guarded<INPUT>(run: (input: INPUT) => Promise<string>): (input: INPUT) => Promise<string> {
    const serialized = (input: INPUT) => {
      const next = queue.then(() => run(input));
      queue = next.catch(() => undefined);
      return next;
    };
    return async (input) => {
      state.toolCalls++;
      try {
        return await serialized(input);
      } catch (error) {
        // Messages of file system errors name absolute paths; show them relative to the project instead.
        const message =
          error instanceof Refusal
            ? error.message
            : `Error: ${(error instanceof Error ? error.message : String(error)).replaceAll(root, ".")}`;
        state.refusals.push(message);
        return message;
      }
    };
  }

  const listFiles: WorkspaceTool<{ path?: string | undefined }> = {
    description:
      "List the files under a directory of the project (recursively), with sizes. Files you may edit are marked [editable], files you must not change [protected].",
    inputSchema: z.object({
      path: z.string().optional().describe("Directory relative to the project root; default: the root."),
    }),
    execute: guarded(async ({ path: input }) => {
      const { path, name } = await resolvePath(input ?? ".", "list");
      if (!(await stat(path)).isDirectory()) throw new Refusal(`\`${name}\` is a file; use read_file.`);
      const lines: string[] = [];
      let more = false;
      await walk(path, async (entryPath, entryName, entry) => {
        if (lines.length >= limits.listEntries) {
          more = true;
          return false;
        }
        if (entry.isSymbolicLink()) lines.push(`${entryName} -> (symbolic link)`);
        else if (entry.isFile())
          lines.push(`${entryName} (${(await lstat(entryPath)).size} bytes)${label(entryName)}`);
        return true;
      });
      if (lines.length === 0) return `No files under \`${name}\`.`;
      if (more) lines.push(`… more files not listed (limit ${limits.listEntries}); list a sub-directory.`);
      return lines.join("\n");
    }),
  };

  const readFileTool: WorkspaceTool<{
    path: string;
    startLine?: number | undefined;
    endLine?: number | undefined;
  }> = {
    description:
      "Read a text file of the project, whole or a range of lines (1-based, inclusive). Long files are cut; ask for a line range then.",
    inputSchema: z.object({
      path: z.string().describe("File path relative to the project root."),
      startLine: z.number().int().min(1).optional(),
      endLine: z.number().int().min(1).optional(),
    }),
    execute: guarded(async ({ path: input, startLine, endLine }) => {
      const { path, name } = await resolvePath(input, "read");
      const content = await readText(path, name);
      const lines = content.split("\n");
      // A final newline ends the last line; it does not start another.
      if (lines.length > 1 && lines.at(-1) === "") lines.pop();
      const first = startLine ?? 1;
      const last = Math.min(endLine ?? lines.length, lines.length);
      if (first > lines.length) throw new Refusal(`\`${name}\` has only ${lines.length} lines.`);
      let body = lines.slice(first - 1, last).join("\n");
      let note = "";
      if (body.length > limits.readChars) {
        body = body.slice(0, limits.readChars);
        const shownLines = body.split("\n").length;
        note = `\n[cut at ${limits.readChars} characters, around line ${first + shownLines - 1}; read a line range for more]`;
      }
      return `${name} (lines ${first}-${last} of ${lines.length}):\n${body}${note}`;
    }),
  };

  const searchText: WorkspaceTool<{ query: string; path?: string | undefined; regex?: boolean | undefined }> =
    {
      description:
        "Search the project's text files for a literal string (or, with `regex`, a JavaScript regular expression, stopped when it takes too long); returns file:line: text.",
      inputSchema: z.object({
        query: z.string().min(1),
        path: z.string().optional().describe("Directory or file to search; default: the whole project."),
        regex: z.boolean().optional().describe("Treat the query as a JavaScript regular expression."),
      }),
      execute: guarded(async ({ query, path: input, regex }) => {
        const { path, name } = await resolvePath(input ?? ".", "read");
        const files: SearchFile[] = [];
        if ((await stat(path)).isDirectory()) {
          await walk(path, async (entryPath, entryName, entry) => {
            if (entry.isFile()) files.push({ name: entryName, path: entryPath });
            return true;
          });
        } else {
          files.push({ name, path });
        }
        let matches: string[];
        let more: boolean;
        if (regex) {
          const found = await searchWithRegex({
            source: query,
            files,
            maxMatches: limits.searchMatches,
            maxFileBytes: limits.maxFileBytes,
            timeoutMs: limits.searchTimeoutMs,
            abortSignal: options.abortSignal,
          });
          if (found.type === "invalid") throw new Refusal(`Invalid regular expression: ${found.message}`);
          if (found.type === "timeout") {
            throw new Refusal(
              `The regular expression \`${query}\` was stopped after ${limits.searchTimeoutMs} ms (it backtracks too much); search for a literal string or a simpler pattern.`,
            );
          }
          ({ matches, more } = found);
        } else {
          ({ matches, more } = await searchLiteral(query, files));
        }
        if (matches.length === 0) return `No matches for \`${query}\`.`;
        if (more)
          matches.push(`… more matches not shown (limit ${limits.searchMatches}); narrow the search.`);
        return matches.join("\n");
      }),
    };

  const editFile: WorkspaceTool<{ path: string; search: string; replace: string }> = {
    description:
      "Edit a file inside the editable scope: replace the exact text `search` (which must occur exactly once; include enough surrounding lines to make it unique) with `replace`.",
    inputSchema: z.object({
      path: z.string().describe("File path relative to the project root."),
      search: z.string().describe("Exact text to find, whitespace included."),
      replace: z.string().describe("Text to put in its place."),
    }),
    execute: guarded(async ({ path: input, search, replace }) => {
      const { path, name } = await resolvePath(input, "write");
      checkWritable(name, input);
      if (search === "") throw new Refusal("`search` is empty; give the exact text to replace.");
      if (search === replace) throw new Refusal("`search` and `replace` are the same; nothing would change.");
      const content = await readText(path, name);
      const positions = countOccurrences(content, search);
      if (positions.length === 0) {
        const nearest = findNearestMatch(content, search);
        const hint = nearest
          ? ` The closest text is at lines ${nearest.startLine}-${nearest.endLine} (${Math.round(nearest.similarity * 100)}% similar):\n${nearest.text}`
          : "";
        throw new Refusal(
          `The search text was not found in \`${name}\`; nothing was changed. Read the file again and copy the text exactly.${hint}`,
        );
      }
      if (positions.length > 1) {
        const lines = positions.map((position) => lineOf(content, position)).join(", ");
        throw new Refusal(
          `The search text occurs ${positions.length} times in \`${name}\` (at lines ${lines}); nothing was changed. Include more surrounding lines so it matches once.`,
        );
      }
      const index = positions[0] as number;
      await writeFile(path, content.slice(0, index) + replace + content.slice(index + search.length));
      state.changedFiles.add(name);
      return `Edited \`${name}\` at line ${lineOf(content, index)}.`;
    }),
  };

  const writeFileTool: WorkspaceTool<{ path: string; content: string }> = {
    description:
      "Create a new file inside the editable scope. Existing files cannot be overwritten: change them with edit_file.",
    inputSchema: z.object({
      path: z.string().describe("New file path relative to the project root."),
      content: z.string(),
    }),
    execute: guarded(async ({ path: input, content }) => {
      const { path, name } = await resolvePath(input, "write");
      checkWritable(name, input);
      if (Buffer.byteLength(content) > limits.maxFileBytes) {
        throw new Refusal(`The content is too large (limit ${limits.maxFileBytes} bytes).`);
      }
      await mkdir(dirname(path), { recursive: true });
      try {
        // `wx` fails on anything already there, a dangling symbolic link included.
        await writeFile(path, content, { flag: "wx" });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
          throw new Refusal(`\`${name}\` already exists; change it with edit_file.`);
        }
        throw error;
      }
      state.changedFiles.add(name);
      return `Created \`${name}\` (${content.split("\n").length} lines).`;
    }),
  };

  const finish: WorkspaceTool<{ description: string; rationale: string }> = {
    description:
      "Finish the proposal once the change is made: a one-line description of what was tried and a short rationale. Ends your turn.",
    inputSchema: z.object({
      description: z
        .string()
        .describe("One line: what this change tries, e.g. 'raise learning rate to 0.04'."),
      rationale: z.string().describe("One or two sentences: why it may improve the metric."),
    }),
    execute: guarded(async ({ description, rationale }) => {
      const line = description.trim();
      if (line === "") throw new Refusal("The description is empty; say in one line what the change tries.");
      if (line.includes("\n")) throw new Refusal("The description must be one line.");
      if (state.changedFiles.size === 0) {
        throw new Refusal(
          "No file has been changed yet. Make the change with edit_file or write_file, then finish.",
        );
      }
      state.finished = {
        description: line.length > 300 ? `${line.slice(0, 299)}…` : line,
        rationale: rationale.trim(),
      };
      return "Recorded. The change will now be run and measured.";
    }),
  };

  const tools = {
    list_files: listFiles,
    read_file: readFileTool,
    search_text: searchText,
    edit_file: editFile,
    write_file: writeFileTool,
    finish,
  } as unknown as Record<string, WorkspaceTool<never>>;
  return { tools, state };
}
