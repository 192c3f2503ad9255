import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { CliIo, ParsedArguments } from "./main.js";

const formats = ["html", "md", "json"] as const;

/** The tag to report on: the one given, else the only one there is. */
async function chooseTag(directory: string, tag: string | undefined): Promise<string> {
  if (tag !== undefined) return tag;
  const state = join(directory, ".autoresearch");
  const tags = existsSync(state)
    ? (await readdir(state, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && existsSync(join(state, entry.name, "ledger.jsonl")))
        .map((entry) => entry.name)
    : [];
  if (tags.length === 1 && tags[0] !== undefined) return tags[0];
  throw new ConfigurationError({
    field: "tag",
    message:
      tags.length === 0
        ? `Expected a research in ${directory} (a .autoresearch/<tag>/ledger.jsonl), found none; use --directory`
        : `Expected one tag, found several (${tags.join(", ")}): autoresearch report <tag>`,
  });
}

/** `autoresearch report [tag]`: writes the HTML (or markdown, or JSON) report and prints where. */
export async function reportCommand(tag: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const format = values.format ?? "html";
  if (!(formats as readonly string[]).includes(format)) {
    throw new ConfigurationError({
      field: "format",
      message: `Invalid \`--format\`: expected one of html, md, json, got \`${format}\``,
    });
  }
  const { writeReport } = await import("../report/write-report.js");
  const directory = resolve(values.directory ?? ".");
  const result = await writeReport({
    directory,
    tag: await chooseTag(directory, tag),
    format: format as (typeof formats)[number],
    ...(values.output === undefined ? {} : { output: resolve(values.output) }),
  });
  io.stdout.write(`${result.file}\n`);
  return 0;
}
