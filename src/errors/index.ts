export {
  AutoresearchError,
  ConfigurationError,
  LedgerError,
  LockedError,
  WorkspaceError,
} from "./autoresearch-error.js";
