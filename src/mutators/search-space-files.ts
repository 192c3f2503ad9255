import { extname } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";

/** The file formats a search space can edit in place. */
export type SearchSpaceFormat = "json" | "yaml" | "python" | "javascript";

/** A value a search-space parameter can take. */
export type ParameterValue = number | string | boolean | null;

/** Where a parameter's value sits in a file, and what it is. */
export interface LocatedValue {
  /** The parsed value; `undefined` when the token is a literal this module does not read (e.g. `.inf`). */
  value: ParameterValue | undefined;
  /** The value's text exactly as it is in the file. */
  raw: string;
  start: number;
  end: number;
  /** The quote the value was written with, for strings. */
  quote?: '"' | "'" | "`";
  /** 1-based line, for messages. */
  line: number;
}

/** The format a file name implies, or `undefined` for an extension this module does not know. */
export function formatFromFileName(file: string): SearchSpaceFormat | undefined {
  switch (extname(file).toLowerCase()) {
    case ".json":
      return "json";
    case ".yaml":
    case ".yml":
      return "yaml";
    case ".py":
      return "python";
    case ".js":
    case ".mjs":
    case ".cjs":
    case ".ts":
    case ".mts":
    case ".cts":
      return "javascript";
    default:
      return undefined;
  }
}

/**
 * Finds each named parameter's value token in `text`. Throws a ConfigurationError naming the file when a name is
 * missing, assigned more than once, or not a plain literal, since the search could not edit it reliably.
 */
export function locateParameters(
  text: string,
  format: SearchSpaceFormat,
  names: readonly string[],
  file: string,
): Map<string, LocatedValue> {
  const found = new Map<string, LocatedValue>();
  if (format === "json") {
    const spans = scanJson(text, file);
    for (const name of names) {
      const span = spans.get(JSON.stringify([name])) ?? spans.get(JSON.stringify(name.split(".")));
      if (span === undefined) {
        throw new ConfigurationError({
          message: `Search space parameter \`${name}\` was not found in ${file}: expected a key "${name}" (dots separate nested keys)`,
          field: `space.${name}`,
        });
      }
      const raw = text.slice(span.start, span.end);
      if (raw.startsWith("{") || raw.startsWith("[")) {
        throw new ConfigurationError({
          message: `Search space parameter \`${name}\` in ${file} is an ${raw.startsWith("{") ? "object" : "array"}: expected a number, string, boolean or null`,
          field: `space.${name}`,
        });
      }
      const located: LocatedValue = {
        value: JSON.parse(raw) as ParameterValue,
        raw,
        start: span.start,
        end: span.end,
        line: lineAt(text, span.start),
      };
      if (raw.startsWith('"')) located.quote = '"';
      found.set(name, located);
    }
    return found;
  }
  const all = format === "yaml" ? scanYaml(text) : scanAssignments(text, format);
  for (const name of names) {
    const matches = all.filter((entry) => entry.name === name);
    const where =
      format === "yaml" ? `a top-level \`${name}: value\` line` : `a module-level \`${name} = value\``;
    if (matches.length === 0) {
      throw new ConfigurationError({
        message: `Search space parameter \`${name}\` was not found in ${file}: expected ${where}`,
        field: `space.${name}`,
      });
    }
    if (matches.length > 1) {
      throw new ConfigurationError({
        message: `Search space parameter \`${name}\` is assigned ${matches.length} times in ${file} (lines ${matches.map((match) => match.line).join(", ")}): expected ${where} exactly once`,
        field: `space.${name}`,
      });
    }
    const match = matches[0]!;
    if (match.located === undefined) {
      throw new ConfigurationError({
        message: `Search space parameter \`${name}\` in ${file} (line ${match.line}) is \`${match.text}\`: expected a plain number, string, boolean or null literal`,
        field: `space.${name}`,
      });
    }
    found.set(name, match.located);
  }
  return found;
}

/** Renders `value` as a token of `format`, keeping the quote style of the token it replaces. */
export function renderValue(
  value: ParameterValue,
  format: SearchSpaceFormat,
  options: { float: boolean; replacing?: LocatedValue },
): string {
  if (value === null) return format === "python" ? "None" : format === "yaml" ? "null" : "null";
  if (typeof value === "boolean") {
    if (format === "python") return value ? "True" : "False";
    return value ? "true" : "false";
  }
  if (typeof value === "number") return renderNumber(value, format, options.float);
  const quote = options.replacing?.quote;
  if (format === "json") return JSON.stringify(value);
  if (quote === "'") {
    return format === "yaml" ? `'${value.replaceAll("'", "''")}'` : `'${value.replace(/[\\']/g, "\\$&")}'`;
  }
  if (quote === "`" && !/[`\\]|\$\{/.test(value)) return `\`${value}\``;
  if (format === "yaml" && quote === undefined && isPlainYamlString(value)) return value;
  return JSON.stringify(value);
}

/** Replaces spans of `text`; every byte outside them stays as it was. */
export function replaceSpans(
  text: string,
  edits: readonly { start: number; end: number; text: string }[],
): string {
  const sorted = [...edits].sort((left, right) => right.start - left.start);
  let result = text;
  for (const edit of sorted) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

function renderNumber(value: number, format: SearchSpaceFormat, float: boolean): string {
  if (!Number.isFinite(value)) throw new Error(`Cannot write the non-finite number ${value}`);
  let text = String(value);
  if (!float) return Number.isInteger(value) ? text : String(Math.round(value));
  // A float parameter stays a float in the file (`2.0`, not `2`), so Python or YAML readers keep its type.
  let [mantissa, exponent] = text.split("e") as [string, string | undefined];
  if (!mantissa.includes(".") && (exponent === undefined || format === "yaml")) mantissa += ".0";
  if (exponent !== undefined && format === "yaml" && !/^[+-]/.test(exponent)) exponent = `+${exponent}`;
  text = exponent === undefined ? mantissa : `${mantissa}e${exponent}`;
  return text;
}

const yamlReserved = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
function isPlainYamlString(value: string): boolean {
  return (
    /^[A-Za-z_][\w ./-]*$/.test(value) &&
    !/\s$/.test(value) &&
    !yamlReserved.test(value) &&
    parseYamlPlain(value) === value
  );
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let position = 0; position < index; position++) if (text.charCodeAt(position) === 10) line++;
  return line;
}

// --- JSON: a tokenizer that records the span of every value by its path, so edits leave the rest untouched.

function scanJson(text: string, file: string): Map<string, { start: number; end: number }> {
  const spans = new Map<string, { start: number; end: number }>();
  let position = 0;

  const fail = (expected: string): never => {
    throw new ConfigurationError({
      message: `${file} is not valid JSON: expected ${expected} at line ${lineAt(text, position)}, got \`${text.slice(position, position + 12) || "end of file"}\``,
      field: "file",
    });
  };
  const skipWhitespace = () => {
    while (position < text.length && /\s/.test(text[position]!)) position++;
  };
  const readString = (): string => {
    const start = position;
    position++;
    while (position < text.length && text[position] !== '"') position += text[position] === "\\" ? 2 : 1;
    if (position >= text.length) fail("a closing quote");
    position++;
    return JSON.parse(text.slice(start, position)) as string;
  };
  const readValue = (path: readonly string[]): void => {
    skipWhitespace();
    const start = position;
    const character = text[position];
    if (character === "{") {
      position++;
      skipWhitespace();
      if (text[position] === "}") position++;
      else {
        for (;;) {
          skipWhitespace();
          if (text[position] !== '"') fail("a key");
          const key = readString();
          skipWhitespace();
          if (text[position] !== ":") fail("`:`");
          position++;
          readValue([...path, key]);
          skipWhitespace();
          if (text[position] === ",") position++;
          else if (text[position] === "}") {
            position++;
            break;
          } else fail("`,` or `}`");
        }
      }
    } else if (character === "[") {
      position++;
      skipWhitespace();
      if (text[position] === "]") position++;
      else {
        for (let index = 0; ; index++) {
          readValue([...path, String(index)]);
          skipWhitespace();
          if (text[position] === ",") position++;
          else if (text[position] === "]") {
            position++;
            break;
          } else fail("`,` or `]`");
        }
      }
    } else if (character === '"') {
      readString();
    } else {
      const literal = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
      literal.lastIndex = position;
      const match = literal.exec(text);
      if (match === null) fail("a value");
      position += match![0].length;
    }
    if (path.length > 0) spans.set(JSON.stringify(path), { start, end: position });
  };

  readValue([]);
  skipWhitespace();
  if (position < text.length) fail("the end of the document");
  return spans;
}

// --- YAML: top-level `key: value` lines only; nested mappings and block scalars are not searched.

interface Assignment {
  name: string;
  line: number;
  /** The whole value text, for messages. */
  text: string;
  located: LocatedValue | undefined;
}

function* lines(text: string): Generator<{ content: string; offset: number; line: number }> {
  let offset = 0;
  let line = 1;
  while (offset <= text.length) {
    const newline = text.indexOf("\n", offset);
    const end = newline === -1 ? text.length : newline;
    const content = text.slice(offset, end).replace(/\r$/, "");
    yield { content, offset, line };
    if (newline === -1) break;
    offset = newline + 1;
    line++;
  }
}

function scanYaml(text: string): Assignment[] {
  const result: Assignment[] = [];
  const pattern = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#:'"][^:#]*?)[ \t]*:(?:[ \t]+|$)/;
  for (const { content, offset, line } of lines(text)) {
    const match = pattern.exec(content);
    if (match === null || content.startsWith("- ") || content.startsWith("---")) continue;
    const keyText = match[1]!;
    const name = keyText.startsWith('"')
      ? (JSON.parse(keyText) as string)
      : keyText.startsWith("'")
        ? keyText.slice(1, -1).replaceAll("''", "'")
        : keyText;
    const valueStart = match[0].length;
    const rest = content.slice(valueStart);
    const token = yamlToken(rest);
    const located =
      token === undefined
        ? undefined
        : {
            ...token.located,
            start: offset + valueStart,
            end: offset + valueStart + token.located.raw.length,
            line,
          };
    result.push({ name, line, text: rest.trim(), located });
  }
  return result;
}

function yamlToken(rest: string): { located: LocatedValue } | undefined {
  const quoted = /^"(?:[^"\\]|\\.)*"|^'(?:[^']|'')*'/.exec(rest);
  let raw: string;
  let value: ParameterValue | undefined;
  let quote: '"' | "'" | undefined;
  if (quoted !== null) {
    raw = quoted[0];
    if (!/^[ \t]*(?:#.*)?$/.test(rest.slice(raw.length))) return undefined;
    if (raw.startsWith('"')) {
      quote = '"';
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = undefined;
      }
    } else {
      quote = "'";
      value = raw.slice(1, -1).replaceAll("''", "'");
    }
  } else {
    // A plain scalar ends at ` #` (a comment) or the end of the line.
    const comment = rest.search(/[ \t]#/);
    raw = (comment === -1 ? rest : rest.slice(0, comment)).trimEnd();
    if (raw === "" || /^[|>{[&*!%@`]/.test(raw) || raw.startsWith("#")) return undefined;
    value = parseYamlPlain(raw);
  }
  const located: LocatedValue = { value, raw, start: 0, end: 0, line: 0 };
  if (quote !== undefined) located.quote = quote;
  return { located };
}

function parseYamlPlain(raw: string): ParameterValue | undefined {
  if (/^(?:true|True|TRUE)$/.test(raw)) return true;
  if (/^(?:false|False|FALSE)$/.test(raw)) return false;
  if (/^(?:null|Null|NULL|~)$/.test(raw)) return null;
  if (/^[-+]?(?:\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN)$/.test(raw)) return undefined;
  if (/^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?$/.test(raw)) {
    return Number(raw.replaceAll("_", ""));
  }
  return raw;
}

// --- Python and JavaScript: module-level `NAME = literal` lines, the literal replaced and the rest kept.

function scanAssignments(text: string, format: "python" | "javascript"): Assignment[] {
  const result: Assignment[] = [];
  const pattern =
    format === "python"
      ? /^([A-Za-z_]\w*)(?:[ \t]*:[^=\n]*)?[ \t]*=(?!=)[ \t]*/
      : /^(?:export[ \t]+)?(?:const|let|var)[ \t]+([A-Za-z_$][\w$]*)(?:[ \t]*:[^=\n]*)?[ \t]*=(?!=)[ \t]*/;
  const trailing =
    format === "python"
      ? /^[ \t]*;?[ \t]*(?:#.*)?$/
      : /^[ \t]*(?:as[ \t]+const[ \t]*)?;?[ \t]*(?:\/\/.*|\/\*.*)?$/;
  for (const { content, offset, line } of lines(text)) {
    const match = pattern.exec(content);
    if (match === null) continue;
    const valueStart = match[0].length;
    const rest = content.slice(valueStart);
    const token = codeToken(rest, format);
    let located: LocatedValue | undefined;
    if (token !== undefined && trailing.test(rest.slice(token.raw.length))) {
      located = {
        value: token.value,
        raw: token.raw,
        start: offset + valueStart,
        end: offset + valueStart + token.raw.length,
        line,
      };
      if (token.quote !== undefined) located.quote = token.quote;
    }
    result.push({ name: match[1]!, line, text: rest.trim(), located });
  }
  return result;
}

function codeToken(
  rest: string,
  format: "python" | "javascript",
): { raw: string; value: ParameterValue; quote?: '"' | "'" | "`" } | undefined {
  const string =
    format === "python"
      ? /^"(?:[^"\\\n]|\\.)*"|^'(?:[^'\\\n]|\\.)*'/
      : /^"(?:[^"\\\n]|\\.)*"|^'(?:[^'\\\n]|\\.)*'|^`[^`\\$\n]*`/;
  const quoted = string.exec(rest);
  if (quoted !== null) {
    const raw = quoted[0];
    const quote = raw[0] as '"' | "'" | "`";
    return { raw, value: unescapeString(raw.slice(1, -1)), quote };
  }
  const number = /^-?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?\d+)?(?![\w.])/.exec(rest);
  if (number !== null) return { raw: number[0], value: Number(number[0].replaceAll("_", "")) };
  const words: Record<string, ParameterValue> =
    format === "python" ? { True: true, False: false, None: null } : { true: true, false: false, null: null };
  const word = /^[A-Za-z_]\w*/.exec(rest);
  if (word !== null && word[0] in words) return { raw: word[0], value: words[word[0]]! };
  return undefined;
}

function unescapeString(body: string): string {
  return body.replace(/\\(["'\\`nt])/g, (_, character: string) =>
    character === "n" ? "\n" : character === "t" ? "\t" : character,
  );
}
