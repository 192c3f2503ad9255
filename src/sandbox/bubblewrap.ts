import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";

/** Whether bubblewrap can confine commands on this machine, and if not, why. */
export type BubblewrapSupport =
  | {
      available: true;
      program: string;
      version: string;
      /**
       * Whether this bubblewrap can forbid new user namespaces inside the sandbox (`--disable-userns`, 0.8 and
       * later, not in its setuid form). Without that a process inside could make one and mount its own files over
       * read-only ones, for itself.
       */
      disablesUserNamespaces: boolean;
    }
  | { available: false; reason: string };

/** How to get bubblewrap, for messages. */
export const bubblewrapInstallHint =
  "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`; Arch: `pacman -S bubblewrap`) and make sure user namespaces are enabled (in a container: run it with `--security-opt seccomp=unconfined` or use a VM)";

// The probe asks for the namespaces, mounts and limits a real run asks for, so "available" means a run will start.
const probeArguments = [
  "--ro-bind",
  "/",
  "/",
  "--dev",
  "/dev",
  "--proc",
  "/proc",
  "--tmpfs",
  "/tmp",
  "--unshare-all",
  "--die-with-parent",
  "--new-session",
  "--cap-drop",
  "ALL",
  "--",
  "true",
];

/** The arguments that forbid new user namespaces inside the sandbox. */
export const userNamespaceLock: readonly string[] = ["--unshare-user", "--disable-userns"];

function run(program: string, args: readonly string[]): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { timeout: 10_000, env: { PATH: process.env.PATH ?? "" } },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        if (error === null) resolve({ code: 0, output });
        else resolve({ code: (error as NodeJS.ErrnoException).code ?? error.message, output });
      },
    );
  });
}

let detected: Promise<BubblewrapSupport> | undefined;

/**
 * Finds bubblewrap (`program`, else `AUTORESEARCH_BWRAP`, else `bwrap` on PATH) and checks once per process that it
 * can make the namespaces a run needs: a container without user namespaces has the program but cannot use it.
 */
export function detectBubblewrap(program?: string): Promise<BubblewrapSupport> {
  if (program !== undefined) return probe(program);
  detected ??= probe(process.env.AUTORESEARCH_BWRAP || "bwrap");
  return detected;
}

/** The absolute path of `program` on PATH, so that later runs do not depend on the PATH they are given. */
function locate(program: string): string | undefined {
  if (isAbsolute(program)) return program;
  // `./bin/bwrap`: a path, relative to the working directory, not a name to look up.
  if (program.includes("/")) return resolve(program);
  for (const folder of (process.env.PATH ?? "").split(delimiter)) {
    if (folder === "") continue;
    const candidate = join(folder, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

async function probe(name: string): Promise<BubblewrapSupport> {
  if (process.platform !== "linux") {
    return { available: false, reason: `bubblewrap needs Linux; this is ${process.platform}` };
  }
  const program = locate(name);
  if (program === undefined) return { available: false, reason: `\`${name}\` was not found on PATH` };
  const version = await run(program, ["--version"]);
  if (version.code === "ENOENT") return { available: false, reason: `\`${program}\` does not exist` };
  if (version.code !== 0) {
    return { available: false, reason: `\`${program} --version\` failed: ${version.output || version.code}` };
  }
  const trial = await run(program, probeArguments);
  if (trial.code !== 0) {
    return {
      available: false,
      reason: `bubblewrap cannot create a sandbox here: ${trial.output || `exit ${trial.code}`}`,
    };
  }
  const locked = await run(program, [
    ...probeArguments.slice(0, probeArguments.indexOf("--")),
    ...userNamespaceLock,
    "--",
    "true",
  ]);
  return {
    available: true,
    program,
    version: version.output.replace(/^bubblewrap\s*/, ""),
    disablesUserNamespaces: locked.code === 0,
  };
}
