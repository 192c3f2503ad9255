import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

// Words bash runs itself, or that start a compound command: a command starting with one is not checked.
const shellWords = new Set(
  (
    "if then else elif fi case esac for while until do done in function select coproc { } ! [[ ]] [ . : " +
    "source alias bg bind break builtin caller cd command compgen complete continue declare dirs disown echo " +
    "enable eval exit export false fc fg getopts hash help history jobs kill let local logout mapfile popd " +
    "printf pushd pwd read readarray readonly return set shift shopt suspend test times trap true type " +
    "typeset ulimit umask unalias unset wait"
  ).split(" "),
);
// Prefixes that run the word after them.
const prefixWords = new Set(["exec", "time"]);

const plainWord = /^[^\s;&|<>()`$'"\\*?[\]{}~#]+/;
const assignment = /^[A-Za-z_][A-Za-z0-9_]*=(?:[^\s;&|<>()`$'"\\]*|'[^']*'|"[^"$`\\]*")(?=\s)/;
const variable = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/;

/** One word at the start of `text`, with `$NAME` and `${NAME}` expanded from `env`; `undefined` when not plain. */
function readWord(
  text: string,
  env: Record<string, string | undefined>,
): { word: string; rest: string } | undefined {
  let rest = text;
  let word = "";
  let quote: '"' | "'" | undefined;
  for (let guard = 0; guard < 100 && rest !== ""; guard++) {
    if (quote === undefined && /^[\s;&|<>()]/.test(rest)) break;
    const character = rest[0] as string;
    if (character === quote) {
      quote = undefined;
      rest = rest.slice(1);
      continue;
    }
    if (quote === undefined && (character === '"' || character === "'")) {
      quote = character;
      rest = rest.slice(1);
      continue;
    }
    if (character === "$" && quote !== "'") {
      const match = variable.exec(rest);
      const name = match?.[1] ?? match?.[2];
      const value = name === undefined ? undefined : env[name];
      if (match === null || value === undefined) return undefined;
      word += value;
      rest = rest.slice(match[0].length);
      continue;
    }
    if (quote === "'") {
      const end = rest.indexOf("'");
      if (end === -1) return undefined;
      word += rest.slice(0, end);
      rest = rest.slice(end);
      continue;
    }
    const match = quote === '"' ? /^[^"$`\\]+/.exec(rest) : plainWord.exec(rest);
    if (match === null) return undefined;
    word += match[0];
    rest = rest.slice(match[0].length);
  }
  return quote === undefined && word !== "" ? { word, rest } : undefined;
}

/**
 * The program a `bash -c` command line starts, when it is a simple command: `uv run train.py` gives `uv`,
 * `FOO=1 python x.py` gives `python`, `"$AUTORESEARCH_ROOT/.venv/bin/python" x.py` gives the expanded path.
 * `undefined` for anything bash decides itself (builtins, `if`, `(...)`, unknown variables, globs): those are
 * left to the run.
 */
export function programOfShellCommand(
  command: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  let rest = command.trimStart();
  for (let guard = 0; guard < 20; guard++) {
    const set = assignment.exec(rest);
    if (set === null) break;
    rest = rest.slice(set[0].length).trimStart();
  }
  for (let guard = 0; guard < 5; guard++) {
    const read = readWord(rest, env);
    if (read === undefined) return undefined;
    if (prefixWords.has(read.word)) {
      rest = read.rest.trimStart();
      continue;
    }
    return shellWords.has(read.word) ? undefined : read.word;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where `program` would be found when started in `directory`: a name with a slash is a path (relative to the
 * directory), any other name is looked up on `PATH`. `undefined` when there is no executable file there.
 */
export function findProgram(
  program: string,
  options: { directory: string; path?: string | undefined },
): string | undefined {
  if (program.includes("/")) {
    const path = resolve(options.directory, program);
    return isExecutableFile(path) ? path : undefined;
  }
  for (const folder of (options.path ?? "").split(delimiter)) {
    const candidate = join(resolve(options.directory, folder === "" ? "." : folder), program);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Why `program` cannot be started, in a sentence for a person, or `undefined` when it can. `checkout` is the
 * researched directory in the user's own checkout: a relative path that exists there but not in the trial worktree
 * is an untracked file, and the message says how to reach it.
 */
export function describeMissingProgram(
  program: string,
  options: { directory: string; path?: string | undefined; checkout?: string | undefined; purpose: string },
): string | undefined {
  if (findProgram(program, options) !== undefined) return undefined;
  if (!program.includes("/")) {
    return `${options.purpose} needs \`${program}\`, which is not on PATH: install it, or give its path`;
  }
  const path = resolve(options.directory, program);
  const inCheckout =
    options.checkout !== undefined &&
    !program.startsWith("/") &&
    isExecutableFile(resolve(options.checkout, program));
  if (inCheckout) {
    return `${options.purpose} needs \`${program}\`, which exists in your checkout but not in the trial worktree (it is not tracked by git): write it as "$AUTORESEARCH_DIRECTORY/${program.replace(/^\.\//, "")}"`;
  }
  return `${options.purpose} needs \`${program}\`, but ${path} is not an executable file`;
}
