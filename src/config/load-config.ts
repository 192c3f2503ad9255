import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { parseOptions } from "../errors/format-zod-error.js";
import { configSchema, type ParsedConfig } from "./config-schema.js";

export const configFileNames = [
  "autoresearch.config.ts",
  "autoresearch.config.mts",
  "autoresearch.config.js",
  "autoresearch.config.mjs",
  "autoresearch.config.json",
];

/** Finds the config file: the given path (a file, or a folder holding one), else one in `cwd`. */
export function findConfigFile(path: string | undefined, cwd = process.cwd()): string {
  const base = resolve(cwd, path ?? ".");
  if (path !== undefined && existsSync(base) && !configFileNames.some((name) => base.endsWith(name))) {
    const inside = configFileNames.map((name) => resolve(base, name)).find((file) => existsSync(file));
    if (inside !== undefined) return inside;
    if (!/\.(ts|mts|js|mjs|json)$/.test(base)) {
      throw new ConfigurationError({
        field: "config",
        message: `Expected a config file (${configFileNames.join(", ")}) in ${base}, found none`,
      });
    }
  }
  if (path !== undefined) {
    if (!existsSync(base)) {
      throw new ConfigurationError({ field: "config", message: `The config file ${base} does not exist` });
    }
    return base;
  }
  const found = configFileNames.map((name) => resolve(cwd, name)).find((file) => existsSync(file));
  if (found === undefined) {
    throw new ConfigurationError({
      field: "config",
      message: `Expected a config file (${configFileNames.join(", ")}) in ${cwd}, found none. Try \`autoresearch demo\` for a working example.`,
    });
  }
  return found;
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  if (file.endsWith(".json")) return { default: JSON.parse(await readFile(file, "utf8")) };
  if (/\.m?ts$/.test(file)) {
    // TypeScript configs load through tsx, only when one is used.
    const { tsImport } = await import("tsx/esm/api");
    return (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Loads and validates a config file. Its `default` export (or `config`) may be an object or a function returning one. */
export async function loadConfig(file: string) {
  let module: Record<string, unknown>;
  try {
    module = await importModule(file);
  } catch (error) {
    throw new ConfigurationError({
      field: "config",
      message: `Cannot load the config file ${file}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  let exported = module.default ?? module.config;
  // A CommonJS-style double default (tsx interop).
  if (typeof exported === "object" && exported !== null && "default" in exported && !("runner" in exported)) {
    exported = (exported as Record<string, unknown>).default;
  }
  if (typeof exported === "function") exported = await (exported as () => unknown)();
  if (typeof exported !== "object" || exported === null) {
    throw new ConfigurationError({
      field: "config",
      message: `Expected ${file} to export a configuration object (\`export default defineConfig({...})\`), got \`${typeof exported}\``,
    });
  }
  let config: ParsedConfig;
  try {
    config = parseOptions(configSchema, exported);
  } catch (error) {
    if (!ConfigurationError.isInstance(error)) throw error;
    // Name the file: a message such as "Unknown option `stop.maxTrails`" should say where to look.
    throw new ConfigurationError({
      field: error.field ?? "config",
      message: `${error.message}\n(in ${file})`,
      cause: error,
    });
  }
  return { config, file, directory: resolve(dirname(file), config.directory ?? ".") };
}
