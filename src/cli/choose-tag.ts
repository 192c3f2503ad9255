import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { tagMessage } from "../workspace/tag.js";

/** The tags with a ledger in `directory`, sorted. */
export async function listTags(directory: string): Promise<string[]> {
  const state = join(directory, ".autoresearch");
  if (!existsSync(state)) return [];
  return (await readdir(state, { withFileTypes: true }))
    .filter((entry) => entry.isDirectory() && existsSync(join(state, entry.name, "ledger.jsonl")))
    .map((entry) => entry.name)
    .sort();
}

/** The tag a command works on: the one given (checked), else the only one there is. */
export async function chooseTag(
  directory: string,
  tag: string | undefined,
  command: string,
): Promise<string> {
  if (tag !== undefined) {
    const problem = tagMessage(tag);
    if (problem !== undefined) throw new ConfigurationError({ field: "tag", message: problem });
    return tag;
  }
  const tags = await listTags(directory);
  if (tags.length === 1 && tags[0] !== undefined) return tags[0];
  throw new ConfigurationError({
    field: "tag",
    message:
      tags.length === 0
        ? `Expected a research in ${directory} (a .autoresearch/<tag>/ledger.jsonl), found none; use --directory`
        : `Expected one tag, found several (${tags.join(", ")}): autoresearch ${command} <tag>`,
  });
}
