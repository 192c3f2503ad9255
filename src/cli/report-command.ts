import { resolve } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { chooseTag } from "./choose-tag.js";
import type { CliIo, ParsedArguments } from "./main.js";

const formats = ["html", "md", "json"] as const;

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
    tag: await chooseTag(directory, tag, "report"),
    format: format as (typeof formats)[number],
    ...(values.output === undefined ? {} : { output: resolve(values.output) }),
  });
  io.stdout.write(`${result.file}\n`);
  return 0;
}
