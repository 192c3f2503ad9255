import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import type { Scope } from "../spec/mutator.js";
import type { WorkspaceToolLimits, WorkspaceToolState } from "./llm-tools.js";

/**
 * The directory the LLM proposer's file tools are confined to, shared by every tool: resolving and checking the
 * paths the model gives, reading and walking files, and running each tool call one at a time.
 */

/** A refusal: its message goes back to the model as the tool's result. */
export class Refusal extends Error {}

/** What the tools of one proposal share. */
export interface Workspace {
  /** The directory, absolute; every path is resolved against it. */
  root: string;
  limits: WorkspaceToolLimits;
  scope: Scope;
  isEditable: (name: string) => boolean;
  isProtected: (name: string) => boolean;
  abortSignal: AbortSignal | undefined;
  state: WorkspaceToolState;
  /** The directory with its symbolic links resolved, once looked up. */
  realRoot: string | undefined;
  /** The tool call running now; the next one waits for it. */
  queue: Promise<unknown>;
}

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

/** The path with `/` separators, as the model sees it. */
function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}

/** Whether `target` is `root` or under it. */
function isInside(root: string, target: string): boolean {
  const path = relative(root, target);
  return path === "" || (!path.startsWith("..") && !isAbsolute(path));
}

/** Whether a file's first bytes hold a NUL, taken as the sign of a binary file. */
export function isBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, 8000).includes(0);
}

/** The shared state of the tools over one directory, with the scope's globs compiled. */
export function createWorkspace(
  directory: string,
  scope: Scope,
  limits: WorkspaceToolLimits,
  abortSignal: AbortSignal | undefined,
): Workspace {
  const protectedGlobs = [...scope.protected];
  return {
    root: resolve(directory),
    limits,
    scope,
    isEditable: picomatch([...scope.editable], { dot: true }),
    isProtected: protectedGlobs.length > 0 ? picomatch(protectedGlobs, { dot: true }) : () => false,
    abortSignal,
    state: { changedFiles: new Set(), refusals: [], toolCalls: 0, finished: undefined },
    realRoot: undefined,
    queue: Promise.resolve(),
  };
}

/** The directory with its symbolic links resolved, looked up on first use. */
async function getRealRoot(workspace: Workspace): Promise<string> {
  workspace.realRoot ??= await realpath(workspace.root);
  return workspace.realRoot;
}

/** Resolves a path the model gave; throws a Refusal for anything that is not inside the directory. */
export async function resolvePath(
  workspace: Workspace,
  input: string,
  purpose: "read" | "write" | "list",
): Promise<{ path: string; name: string }> {
  const { root } = workspace;
  const raw = input.trim();
  if (raw.includes("\0")) throw new Refusal("The path contains a NUL character.");
  if (isAbsolute(raw) || /^[a-zA-Z]:[\\/]/.test(raw) || raw.startsWith("~")) {
    throw new Refusal(
      `Refused \`${raw}\`: absolute paths are not allowed; give a path relative to the project root.`,
    );
  }
  const path = resolve(root, raw.replaceAll("\\", "/") || ".");
  if (!isInside(root, path)) {
    throw new Refusal(`Refused \`${raw}\`: it is outside the project directory. Paths must stay inside it.`);
  }
  const name = toPosix(relative(root, path)) || ".";
  const gitRefusal = () =>
    new Refusal(
      `Refused \`${raw}\`: the .git directory is off limits (the repository's own files, or a nested repository), whatever the path or link leading there.`,
    );
  if (touchesGit(name)) throw gitRefusal();
  const base = await getRealRoot(workspace);
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
          throw new Refusal(`Refused \`${raw}\`: it is a symbolic link; edit the file it points to instead.`);
        }
        if (realName !== name) checkWritable(workspace, realName, raw);
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

/** Throws a Refusal unless the file may be written: inside the editable scope and not protected. */
export function checkWritable(workspace: Workspace, name: string, raw: string): void {
  if (workspace.isProtected(name))
    throw new Refusal(`Refused \`${raw}\`: \`${name}\` is a protected file and must not change.`);
  if (!workspace.isEditable(name)) {
    const globs = workspace.scope.editable.map((glob) => `\`${glob}\``).join(", ");
    throw new Refusal(
      `Refused \`${raw}\`: \`${name}\` is outside the editable scope (${globs || "nothing is editable"}).`,
    );
  }
}

/** A text file's content; throws a Refusal for a directory, a missing, too large or binary file. */
export async function readText(workspace: Workspace, path: string, name: string): Promise<string> {
  const { maxFileBytes } = workspace.limits;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT")
      throw new Refusal(`\`${name}\` does not exist; create new files with write_file.`);
    throw error;
  });
  if (info.isDirectory()) throw new Refusal(`\`${name}\` is a directory; use list_files.`);
  if (info.size > maxFileBytes) {
    throw new Refusal(`\`${name}\` is too large to read (${info.size} bytes, limit ${maxFileBytes}).`);
  }
  const buffer = await readFile(path);
  if (isBinary(buffer)) throw new Refusal(`\`${name}\` is a binary file.`);
  return buffer.toString("utf8");
}

/** Visits the entries under `start` breadth first, in name order, until `visit` returns false. */
export async function walk(
  workspace: Workspace,
  start: string,
  visit: (path: string, name: string, entry: Dirent) => Promise<boolean>,
): Promise<void> {
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
      const name = toPosix(relative(workspace.root, path));
      if (!(await visit(path, name, entry))) return;
      // Symlinked directories are not followed: they may lead outside.
      if (entry.isDirectory()) queue.push(path);
    }
  }
}

/** The mark a listing gives a file: ` [protected]`, ` [editable]` or nothing. */
export function label(workspace: Workspace, name: string): string {
  if (workspace.isProtected(name)) return " [protected]";
  if (workspace.isEditable(name)) return " [editable]";
  return "";
}

/**
 * A tool's `execute`: counts the call, runs it after the calls before it, and returns a refusal or an error as
 * the message the model gets (and records it).
 */
export function guarded<INPUT>(
  workspace: Workspace,
  run: (input: INPUT) => Promise<string>,
): (input: INPUT) => Promise<string> {
  // Tool calls of one step run concurrently; one at a time keeps two edits of a file from losing one another.
  const serialized = (input: INPUT) => {
    const next = workspace.queue.then(() => run(input));
    workspace.queue = next.catch(() => undefined);
    return next;
  };
  return async (input) => {
    workspace.state.toolCalls++;
    try {
      return await serialized(input);
    } catch (error) {
      // Messages of file system errors name absolute paths; show them relative to the project instead.
      const message =
        error instanceof Refusal
          ? error.message
          : `Error: ${(error instanceof Error ? error.message : String(error)).replaceAll(workspace.root, ".")}`;
      workspace.state.refusals.push(message);
      return message;
    }
  };
}
