import { existsSync } from "node:fs";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import type { SandboxMount, SandboxPolicy } from "../spec/sandbox.js";
import { userNamespaceLock } from "./bubblewrap.js";
import { buildSandboxEnvironment } from "./sandbox-environment.js";

/** A command as it is spawned: the program, its arguments, and its whole environment. */
export interface WrappedCommand {
  file: string;
  args: string[];
  /** The complete environment: spawn with it alone (`extendEnv: false`), never on top of the driver's own. */
  env: Record<string, string>;
}

export interface WrapCommandOptions {
  file: string;
  args: readonly string[];
  /** Where the command runs; it must be visible in the sandbox (in a writable or read-only mount). */
  cwd: string;
  /** Values set on purpose (the runner's, the research's); they pass whatever the allowlist says. */
  env?: Record<string, string>;
  /** The driver's environment, filtered by the policy's allowlist; default `process.env`. */
  inherited?: NodeJS.ProcessEnv;
}

const depth = (path: string) => path.split("/").filter(Boolean).length;

function mountArguments(mount: SandboxMount): string[] {
  switch (mount.access) {
    case "writable":
      return ["--bind-try", mount.path, mount.path];
    case "read-only":
      return ["--ro-bind-try", mount.path, mount.path];
    case "hidden":
      // A file is covered by an empty one; a folder by an empty file system, made read-only once every mount
      // inside it (the trial worktree inside the state folder) is in place.
      if (!existsSync(mount.path)) return [];
      return existsSync(`${mount.path}/.`) ? ["--tmpfs", mount.path] : ["--ro-bind", "/dev/null", mount.path];
  }
}

/**
 * Turns a command into one that runs inside `policy`: with bubblewrap, the whole file system read-only, a private
 * `/tmp`, the policy's mounts (parents before children), its own PID namespace (nothing started inside outlives
 * the command, the driver, or a kill of the `bwrap` process), no network unless allowed, no capabilities, a new
 * session; and in every case only the allowlisted environment. Spawn the result with `extendEnv: false` (execa)
 * or `env` alone (node:child_process).
 */
export function wrapCommand(policy: SandboxPolicy, options: WrapCommandOptions): WrappedCommand {
  const bubblewrap = policy.isolation === "bubblewrap";
  const env = buildSandboxEnvironment(policy.environment, options.env ?? {}, {
    ...(options.inherited === undefined ? {} : { inherited: options.inherited }),
    privateTemporary: bubblewrap,
  });
  if (!bubblewrap) return { file: options.file, args: [...options.args], env };
  if (policy.bubblewrap === undefined) {
    throw new ConfigurationError({
      field: "sandbox",
      message: "Invalid sandbox policy: expected `bubblewrap` (the program) when `isolation` is `bubblewrap`",
    });
  }
  const mounts = [...policy.mounts].sort((a, b) => depth(a.path) - depth(b.path));
  const args = [
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    // Kernel settings stay read-only even for a process that is root inside.
    "--ro-bind",
    "/proc/sys",
    "/proc/sys",
    "--ro-bind-try",
    "/proc/sysrq-trigger",
    "/proc/sysrq-trigger",
    "--tmpfs",
    "/tmp",
    ...mounts.flatMap(mountArguments),
    ...policy.devices.flatMap((device) => ["--dev-bind-try", device, device]),
    ...mounts
      .filter((mount) => mount.access === "hidden" && existsSync(`${mount.path}/.`))
      .flatMap((mount) => ["--remount-ro", mount.path]),
    "--unshare-all",
    ...(policy.network ? ["--share-net"] : []),
    ...(policy.disableUserNamespaces === true ? userNamespaceLock : []),
    "--die-with-parent",
    "--new-session",
    // Root in the sandbox must not be able to undo its mounts.
    "--cap-drop",
    "ALL",
    "--chdir",
    options.cwd,
    "--",
    options.file,
    ...options.args,
  ];
  return { file: policy.bubblewrap, args, env };
}
