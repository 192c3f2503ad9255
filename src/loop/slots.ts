import { execa } from "execa";
import { ConfigurationError } from "../errors/autoresearch-error.js";

/** A slot's settings before it has a worktree. */
export interface SlotSetting {
  name: string;
  env: Record<string, string>;
}

/** The GPUs `nvidia-smi -L` lists, by index; none when it is missing or fails. */
export async function listGpus(): Promise<number[]> {
  const result = await execa("nvidia-smi", ["-L"], { reject: false, timeout: 15_000, stdin: "ignore" });
  if (result.exitCode !== 0 || typeof result.stdout !== "string") return [];
  return result.stdout
    .split("\n")
    .map((line) => /^GPU (\d+):/.exec(line.trim())?.[1])
    .filter((index): index is string => index !== undefined)
    .map(Number);
}

/**
 * The slots of a research: `slots: N` gives N alike; a list gives each its environment; `gpus: "auto"` one per
 * GPU, each seeing only its own through `CUDA_VISIBLE_DEVICES` (one slot, and a warning, when there is none).
 */
export async function resolveSlots(options: {
  slots: number | readonly { env: Record<string, string>; name?: string | undefined }[];
  gpus?: "auto" | undefined;
  listGpus?: () => Promise<number[]>;
}): Promise<{ slots: SlotSetting[]; warnings: string[] }> {
  if (options.gpus === "auto") {
    if (options.slots !== 1) {
      throw new ConfigurationError({
        field: "gpus",
        message: `Invalid \`gpus\`: "auto" makes one slot per GPU, so it cannot be combined with \`slots\` (got \`slots: ${JSON.stringify(options.slots)}\`); set one of them`,
      });
    }
    const gpus = await (options.listGpus ?? listGpus)();
    if (gpus.length === 0) {
      return {
        slots: [{ name: "slot0", env: {} }],
        warnings: ['`gpus: "auto"` found no GPU (`nvidia-smi -L` listed none): running one slot.'],
      };
    }
    return {
      slots: gpus.map((index) => ({ name: `gpu${index}`, env: { CUDA_VISIBLE_DEVICES: String(index) } })),
      warnings: [],
    };
  }
  if (typeof options.slots === "number") {
    return {
      slots: Array.from({ length: options.slots }, (_, index) => ({ name: `slot${index}`, env: {} })),
      warnings: [],
    };
  }
  return {
    slots: options.slots.map((slot, index) => ({ name: slot.name ?? `slot${index}`, env: { ...slot.env } })),
    warnings: [],
  };
}

/** The worktree of slot `index`: the first keeps the name a single-slot research always used. */
export function slotWorktreeName(index: number): string {
  return index === 0 ? "trial" : `slot-${index}`;
}
