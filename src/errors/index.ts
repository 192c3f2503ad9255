export {
  AutoresearchError,
  ConfigurationError,
  LedgerError,
  LockedError,
  ResearchStateError,
  WorkspaceError,
} from "./autoresearch-error.js";
