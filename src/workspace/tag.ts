/**
 * A tag names the branch `autoresearch/<tag>`, the refs `refs/autoresearch/<tag>/trials/<n>` and the folder
 * `.autoresearch/<tag>`. It is checked as git checks a ref name (`git check-ref-format`), and more narrowly: one
 * path component of letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 100 characters.
 */
const tagCharacters = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** What is wrong with `tag` as a research tag, in a sentence, or `undefined` when it is a valid one. */
export function tagProblem(tag: string): string | undefined {
  if (!tagCharacters.test(tag)) {
    return "expected letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters";
  }
  // The rules of git's ref names that the characters above still allow.
  if (tag.includes("..")) return "a git ref name cannot contain `..`";
  if (tag.endsWith(".lock")) return "a git ref name cannot end with `.lock`";
  if (tag.endsWith(".")) return "a git ref name cannot end with `.`";
  return undefined;
}

/** The message of a ConfigurationError for a bad tag given as `field` (`tag`, `--from`, …). */
export function tagMessage(tag: string, field = "tag"): string | undefined {
  const problem = tagProblem(tag);
  return problem === undefined ? undefined : `Invalid \`${field}\`: ${problem}, got \`${tag}\``;
}
