import { z } from "zod";

const paths = z.array(z.string().min(1)).default([]);
const variableNames = z
  .array(
    z
      .string()
      .regex(
        /^[A-Za-z_][A-Za-z0-9_]*\*?$/,
        "a variable name, or a prefix of names ending in `*` (e.g. `HF_*`)",
      ),
  )
  .default([]);

/** The sandbox's settings, written out. */
export const sandboxSettingsSchema = z.strictObject({
  /** `auto`: sandboxed where bubblewrap works, else unsandboxed with a warning; `required`: refuse to start without. */
  mode: z.enum(["auto", "required"]).default("auto"),
  /** Whether experiments reach the network; default off (a private loopback only). */
  network: z.boolean().default(false),
  /** More variables of the driver's environment passed in, by name or prefix (`HF_*`). */
  env: variableNames,
  /**
   * Extra paths visible read-only: only needed for what is otherwise hidden (anything under `/tmp`, the
   * credential folders of the home folder), since the rest of the file system is already visible read-only.
   * Relative paths are relative to the researched directory; `~/` is the home folder.
   */
  readOnly: paths,
  /**
   * Extra writable paths, e.g. a compiler or data cache shared by every run (created when missing). A run can then
   * leave files there that a later run reads: see docs/security.md before declaring one.
   */
  writable: paths,
  /** Coding agents (the agent mutator) run in the same sandbox with these differences. */
  agent: z
    .strictObject({
      /** Agents call their model; default on. */
      network: z.boolean().default(true),
      env: variableNames,
      /** e.g. `~/.claude` for an agent that keeps its session there. */
      writable: paths,
    })
    .prefault({}),
});

/**
 * The `sandbox` option of a research: `"auto"` (the default), `"required"`, `false` (run unconfined, with the
 * driver's whole environment), or the settings written out.
 */
export const sandboxOptionSchema = z
  .union([z.literal(false), z.enum(["auto", "required"]), sandboxSettingsSchema])
  .default("auto");

export type SandboxOption = z.input<typeof sandboxOptionSchema>;
export type SandboxSettings = z.output<typeof sandboxSettingsSchema>;

/** The settings a `sandbox` option stands for, or `undefined` when the sandbox is off. */
export function sandboxSettings(option: z.output<typeof sandboxOptionSchema>): SandboxSettings | undefined {
  if (option === false) return undefined;
  if (typeof option === "string") return sandboxSettingsSchema.parse({ mode: option });
  return option;
}
