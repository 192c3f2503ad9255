import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { resolveSlots } from "./slots.js";

describe("resolveSlots", () => {
  it("makes N alike slots, or one per listed setting", async () => {
    expect((await resolveSlots({ slots: 3 })).slots.map((slot) => slot.name)).toEqual([
      "slot0",
      "slot1",
      "slot2",
    ]);
    const listed = await resolveSlots({
      slots: [{ env: { CUDA_VISIBLE_DEVICES: "2" }, name: "gpu2" }, { env: {} }],
    });
    expect(listed.slots).toEqual([
      { name: "gpu2", env: { CUDA_VISIBLE_DEVICES: "2" } },
      { name: "slot1", env: {} },
    ]);
  });

  it('gives each GPU its own slot with gpus: "auto", and one slot with a warning when there is none', async () => {
    const four = await resolveSlots({ slots: 1, gpus: "auto", listGpus: async () => [0, 1, 2, 3] });
    expect(four.slots.map((slot) => slot.env.CUDA_VISIBLE_DEVICES)).toEqual(["0", "1", "2", "3"]);
    expect(four.slots[3]?.name).toBe("gpu3");
    const none = await resolveSlots({ slots: 1, gpus: "auto", listGpus: async () => [] });
    expect(none.slots).toHaveLength(1);
    expect(none.warnings[0]).toContain("found no GPU");
  });

  it('refuses gpus: "auto" together with a number of slots', async () => {
    await expect(resolveSlots({ slots: 2, gpus: "auto", listGpus: async () => [0] })).rejects.toThrow(
      ConfigurationError,
    );
  });
});
