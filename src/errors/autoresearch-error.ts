const marker = "autoresearch.error";
const symbol = Symbol.for(marker);

/**
 * The base of every error this library throws. `isInstance` works across duplicate installs of the package,
 * where `instanceof` would not.
 */
export class AutoresearchError extends Error {
  readonly [symbol] = true;

  constructor(options: { name?: string; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? "AutoresearchError";
  }

  static isInstance(error: unknown): error is AutoresearchError {
    return typeof error === "object" && error !== null && symbol in error;
  }
}

/** Options or a config file that do not have the expected shape. `field` names the offending option. */
export class ConfigurationError extends AutoresearchError {
  readonly field: string | undefined;

  constructor(options: { message: string; field?: string; cause?: unknown }) {
    super({ name: "ConfigurationError", ...options });
    this.field = options.field;
  }

  static override isInstance(error: unknown): error is ConfigurationError {
    return AutoresearchError.isInstance(error) && error.name === "ConfigurationError";
  }
}

/** The repository cannot be used as it is (empty, branch checked out elsewhere, not a git repository, …). */
export class WorkspaceError extends AutoresearchError {
  constructor(options: { message: string; cause?: unknown }) {
    super({ name: "WorkspaceError", ...options });
  }

  static override isInstance(error: unknown): error is WorkspaceError {
    return AutoresearchError.isInstance(error) && error.name === "WorkspaceError";
  }
}

/** Another driver holds the lock of this tag. */
export class LockedError extends AutoresearchError {
  readonly holder: { pid: number; hostname: string; startedAt: string } | undefined;

  constructor(options: { message: string; holder?: { pid: number; hostname: string; startedAt: string } }) {
    super({ name: "LockedError", message: options.message });
    this.holder = options.holder;
  }

  static override isInstance(error: unknown): error is LockedError {
    return AutoresearchError.isInstance(error) && error.name === "LockedError";
  }
}

/** The ledger could not be read or written. Nothing recorded is lost: the message names the file and line. */
export class LedgerError extends AutoresearchError {
  constructor(options: { message: string; cause?: unknown }) {
    super({ name: "LedgerError", ...options });
  }

  static override isInstance(error: unknown): error is LedgerError {
    return AutoresearchError.isInstance(error) && error.name === "LedgerError";
  }
}

/**
 * The research's state is not what the harness left: the branch moved, or a ledger record does not match its trial
 * ref. The message says what differs and how to continue.
 */
export class ResearchStateError extends AutoresearchError {
  constructor(options: { message: string; cause?: unknown }) {
    super({ name: "ResearchStateError", ...options });
  }

  static override isInstance(error: unknown): error is ResearchStateError {
    return AutoresearchError.isInstance(error) && error.name === "ResearchStateError";
  }
}
