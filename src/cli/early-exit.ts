/**
 * Ctrl-C before a command has set up its own handling: nothing has started yet, so the CLI exits 130 at once,
 * as a shell reports a process ended by SIGINT. Installed by the bin before the rest of the CLI loads.
 */
const exit = () => process.exit(130);

export function installEarlyExit(): void {
  process.on("SIGINT", exit);
  process.on("SIGTERM", exit);
}

/** Called once a command handles signals itself. */
export function removeEarlyExit(): void {
  process.off("SIGINT", exit);
  process.off("SIGTERM", exit);
}
