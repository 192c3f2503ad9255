import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** The installed package's root folder (where `examples/` lives), from the built or the source module. */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, "package.json");
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string };
      if (name === "autoresearch") return directory;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error("Cannot find the autoresearch package root");
    directory = parent;
  }
}

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/** A path as a person would type it into a shell. */
export function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** How a person runs this CLI from the current folder: `npx autoresearch` when installed, else its path. */
export function cliCommand(): string {
  const root = packageRoot();
  if (root.split(sep).includes("node_modules")) return "npx autoresearch";
  return `node ${shellQuote(relative(process.cwd(), join(root, "dist", "cli.js")) || "dist/cli.js")}`;
}
