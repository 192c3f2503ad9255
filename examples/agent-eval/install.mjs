#!/usr/bin/env node
// Installs the example's own tools into ./node_modules, once: promptfoo (the eval harness) and the AI SDK (for the
// agent's LLM mode). They stay out of the package's own dependencies so that `npm ci` of autoresearch does not
// pay for them: promptfoo with every optional provider SDK is about 2 GB; without them, about 300 MB.
//
//   node examples/agent-eval/install.mjs          (run.ts calls it; prints how long it took)
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const marker = join(modules, ".autoresearch-example-installed");
const wanted = JSON.parse(readFileSync(join(here, "package.json"), "utf8")).dependencies.promptfoo;

/** libsql's native binding for this machine, e.g. `linux-x64-gnu`. */
function libsqlPlatform() {
  const { platform, arch } = process;
  if (platform === "win32") return "win32-x64-msvc";
  if (platform === "darwin") return `darwin-${arch}`;
  const musl = process.report?.getReport?.().header?.glibcVersionRuntime === undefined;
  if (arch === "arm") return musl ? "linux-arm-musleabihf" : "linux-arm-gnueabihf";
  return `linux-${arch}-${musl ? "musl" : "gnu"}`;
}

/** esbuild's binary package for this machine, e.g. `@esbuild/linux-x64`. */
function esbuildPlatformPackage() {
  return `@esbuild/${process.platform}-${process.arch}`;
}

/** The version of an installed package, or undefined. */
function versionOf(name) {
  try {
    return JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

function npm(...args) {
  execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", [...args, "--no-audit", "--no-fund"], {
    cwd: here,
    stdio: ["ignore", "inherit", "inherit"],
  });
}

function installedVersion() {
  return versionOf("promptfoo");
}

export function promptfooBin() {
  return join(modules, ".bin", process.platform === "win32" ? "promptfoo.cmd" : "promptfoo");
}

/** Installs unless the pinned promptfoo is there already; returns the promptfoo executable. */
export function ensureInstalled(log = console.error) {
  const complete = versionOf("esbuild") === undefined || versionOf(esbuildPlatformPackage()) !== undefined;
  if (existsSync(marker) && installedVersion() === wanted && complete) return promptfooBin();
  log(`Installing the example's tools (promptfoo ${wanted}, the AI SDK) into ${modules} …`);
  const started = Date.now();
  // Without promptfoo's optional provider SDKs (coding agents, cloud SDKs, browsers): the suite needs none.
  npm("ci", "--omit=optional");
  // promptfoo keeps its results in SQLite through libsql, whose native binding is an optional dependency of
  // libsql that --omit=optional leaves out: add the one for this machine.
  const libsql = JSON.parse(readFileSync(join(modules, "libsql", "package.json"), "utf8")).version;
  // promptfoo loads the suite's TypeScript provider through esbuild, whose binary is an optional dependency too.
  // (Found elsewhere up the folder tree it would work here, and fail in a sandbox where only this folder is seen.)
  const esbuild = versionOf("esbuild");
  npm(
    "install",
    "--no-save",
    "--omit=optional",
    `@libsql/${libsqlPlatform()}@${libsql}`,
    ...(esbuild === undefined ? [] : [`${esbuildPlatformPackage()}@${esbuild}`]),
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  writeFileSync(marker, `${JSON.stringify({ promptfoo: installedVersion(), seconds })}\n`);
  log(`Installed promptfoo ${installedVersion()} in ${seconds} s.`);
  return promptfooBin();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureInstalled();
