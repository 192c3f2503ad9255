import { lstat, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import type { Scope } from "../spec/mutator.js";
import { countOccurrences, findNearestMatch, lineOf } from "./llm-tools-match.js";
import {
  checkWritable,
  createWorkspace,
  guarded,
  isBinary,
  label,
  Refusal,
  readText,
  resolvePath,
  type Workspace,
  walk,
} from "./llm-tools-workspace.js";
import { type SearchFile, searchWithRegex } from "./regex-search.js";

export { findNearestMatch };

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

/** `list_files`: the files under a directory, recursively, with sizes and their scope marks. */
function listFilesTool(workspace: Workspace): WorkspaceTool<{ path?: string | undefined }> {
  const { limits } = workspace;
  return {
    description:
      "List the files under a directory of the project (recursively), with sizes. Files you may edit are marked [editable], files you must not change [protected].",
    inputSchema: z.object({
      path: z.string().optional().describe("Directory relative to the project root; default: the root."),
    }),
    execute: guarded(workspace, async ({ path: input }) => {
      const { path, name } = await resolvePath(workspace, input ?? ".", "list");
      if (!(await stat(path)).isDirectory()) throw new Refusal(`\`${name}\` is a file; use read_file.`);
      const lines: string[] = [];
      let more = false;
      await walk(workspace, path, async (entryPath, entryName, entry) => {
        if (lines.length >= limits.listEntries) {
          more = true;
          return false;
        }
        if (entry.isSymbolicLink()) lines.push(`${entryName} -> (symbolic link)`);
        else if (entry.isFile())
          lines.push(`${entryName} (${(await lstat(entryPath)).size} bytes)${label(workspace, entryName)}`);
        return true;
      });
      if (lines.length === 0) return `No files under \`${name}\`.`;
      if (more) lines.push(`… more files not listed (limit ${limits.listEntries}); list a sub-directory.`);
      return lines.join("\n");
    }),
  };
}

/** `read_file`: a text file, whole or a range of lines, cut at the read limit. */
function readFileTool(workspace: Workspace): WorkspaceTool<{
  path: string;
  startLine?: number | undefined;
  endLine?: number | undefined;
}> {
  const { limits } = workspace;
  return {
    description:
      "Read a text file of the project, whole or a range of lines (1-based, inclusive). Long files are cut; ask for a line range then.",
    inputSchema: z.object({
      path: z.string().describe("File path relative to the project root."),
      startLine: z.number().int().min(1).optional(),
      endLine: z.number().int().min(1).optional(),
    }),
    execute: guarded(workspace, async ({ path: input, startLine, endLine }) => {
      const { path, name } = await resolvePath(workspace, input, "read");
      const content = await readText(workspace, path, name);
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
}

/** The lines of the files that contain `query` literally, as `file:line: text`, up to the match limit. */
async function searchLiteral(workspace: Workspace, query: string, files: readonly SearchFile[]) {
  const { limits } = workspace;
  const matches: string[] = [];
  for (const file of files) {
    workspace.abortSignal?.throwIfAborted();
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

/** `search_text`: a literal or regular-expression search of a file or of the files under a directory. */
function searchTextTool(
  workspace: Workspace,
): WorkspaceTool<{ query: string; path?: string | undefined; regex?: boolean | undefined }> {
  const { limits } = workspace;
  return {
    description:
      "Search the project's text files for a literal string (or, with `regex`, a JavaScript regular expression, stopped when it takes too long); returns file:line: text.",
    inputSchema: z.object({
      query: z.string().min(1),
      path: z.string().optional().describe("Directory or file to search; default: the whole project."),
      regex: z.boolean().optional().describe("Treat the query as a JavaScript regular expression."),
    }),
    execute: guarded(workspace, async ({ query, path: input, regex }) => {
      const { path, name } = await resolvePath(workspace, input ?? ".", "read");
      const files: SearchFile[] = [];
      if ((await stat(path)).isDirectory()) {
        await walk(workspace, path, async (entryPath, entryName, entry) => {
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
          abortSignal: workspace.abortSignal,
        });
        if (found.type === "invalid") throw new Refusal(`Invalid regular expression: ${found.message}`);
        if (found.type === "timeout") {
          throw new Refusal(
            `The regular expression \`${query}\` was stopped after ${limits.searchTimeoutMs} ms (it backtracks too much); search for a literal string or a simpler pattern.`,
          );
        }
        ({ matches, more } = found);
      } else {
        ({ matches, more } = await searchLiteral(workspace, query, files));
      }
      if (matches.length === 0) return `No matches for \`${query}\`.`;
      if (more) matches.push(`… more matches not shown (limit ${limits.searchMatches}); narrow the search.`);
      return matches.join("\n");
    }),
  };
}

/** `edit_file`: replaces text that occurs exactly once in an editable file, or says where the nearest text is. */
function editFileTool(
  workspace: Workspace,
): WorkspaceTool<{ path: string; search: string; replace: string }> {
  return {
    description:
      "Edit a file inside the editable scope: replace the exact text `search` (which must occur exactly once; include enough surrounding lines to make it unique) with `replace`.",
    inputSchema: z.object({
      path: z.string().describe("File path relative to the project root."),
      search: z.string().describe("Exact text to find, whitespace included."),
      replace: z.string().describe("Text to put in its place."),
    }),
    execute: guarded(workspace, async ({ path: input, search, replace }) => {
      const { path, name } = await resolvePath(workspace, input, "write");
      checkWritable(workspace, name, input);
      if (search === "") throw new Refusal("`search` is empty; give the exact text to replace.");
      if (search === replace) throw new Refusal("`search` and `replace` are the same; nothing would change.");
      const content = await readText(workspace, path, name);
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
      workspace.state.changedFiles.add(name);
      return `Edited \`${name}\` at line ${lineOf(content, index)}.`;
    }),
  };
}

/** `write_file`: creates a new file in the editable scope; it never overwrites one. */
function writeFileTool(workspace: Workspace): WorkspaceTool<{ path: string; content: string }> {
  const { limits } = workspace;
  return {
    description:
      "Create a new file inside the editable scope. Existing files cannot be overwritten: change them with edit_file.",
    inputSchema: z.object({
      path: z.string().describe("New file path relative to the project root."),
      content: z.string(),
    }),
    execute: guarded(workspace, async ({ path: input, content }) => {
      const { path, name } = await resolvePath(workspace, input, "write");
      checkWritable(workspace, name, input);
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
      workspace.state.changedFiles.add(name);
      return `Created \`${name}\` (${content.split("\n").length} lines).`;
    }),
  };
}

/** `finish`: records the description and rationale once a file has changed, which ends the model's turn. */
function finishTool(workspace: Workspace): WorkspaceTool<{ description: string; rationale: string }> {
  const { state } = workspace;
  return {
    description:
      "Finish the proposal once the change is made: a one-line description of what was tried and a short rationale. Ends your turn.",
    inputSchema: z.object({
      description: z
        .string()
        .describe("One line: what this change tries, e.g. 'raise learning rate to 0.04'."),
      rationale: z.string().describe("One or two sentences: why it may improve the metric."),
    }),
    execute: guarded(workspace, async ({ description, rationale }) => {
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
  const workspace = createWorkspace(options.directory, options.scope, limits, options.abortSignal);
  const tools = {
    list_files: listFilesTool(workspace),
    read_file: readFileTool(workspace),
    search_text: searchTextTool(workspace),
    edit_file: editFileTool(workspace),
    write_file: writeFileTool(workspace),
    finish: finishTool(workspace),
  } as unknown as Record<string, WorkspaceTool<never>>;
  return { tools, state: workspace.state };
}
