/**
 * How an experiment or a coding agent is confined. Plain data, built by the loop for each run and handed to the
 * runner (`RunOptions.sandbox`) and the mutator (`ProposeOptions.sandbox`); `wrapCommand` turns it into a
 * command line. Paths are absolute.
 */
export interface SandboxPolicy {
  /**
   * `bubblewrap`: the command runs in its own mount, PID and network namespaces. `none`: bubblewrap is not
   * available here (the research runs unsandboxed); only the environment is still built from the allowlist.
   */
  isolation: "bubblewrap" | "none";
  /** The bubblewrap program, when `isolation` is `bubblewrap`. */
  bubblewrap?: string;
  /**
   * Mounts on top of a read-only view of the whole file system and a private, empty `/tmp`; applied parents
   * first, so a read-only file inside a writable folder stays read-only. `hidden` folders become empty.
   */
  mounts: readonly SandboxMount[];
  /** Whether the network is reachable; without it only a private loopback exists. */
  network: boolean;
  /** Names (or prefixes ending in `*`) of the driver's environment variables passed in; nothing else is. */
  environment: readonly string[];
  /** Device nodes passed through when present, e.g. `/dev/nvidia0`, `/dev/dri`. */
  devices: readonly string[];
  /**
   * Forbid new user namespaces inside (bubblewrap's `--disable-userns`), so nothing inside can mount over its
   * read-only files even for itself. Set by the research where its bubblewrap supports it.
   */
  disableUserNamespaces?: boolean;
}

/** One path of a {@link SandboxPolicy}. */
export interface SandboxMount {
  path: string;
  access: "read-only" | "writable" | "hidden";
}
