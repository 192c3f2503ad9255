import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const fixtures = fileURLToPath(new URL("./fixtures/llm/", import.meta.url));
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "llm-import-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Runs the probe in a fresh node process whose module hooks log every request for `ai` and `@ai-sdk/*`. */
async function trace(mode: "import" | "propose"): Promise<string[]> {
  const file = join(directory, `${mode}.trace`);
  await execa(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      join(fixtures, "trace-imports.mjs"),
      join(fixtures, "import-probe.ts"),
      mode,
    ],
    { env: { AUTORESEARCH_TRACE_FILE: file }, cwd: fileURLToPath(new URL("..", import.meta.url)) },
  );
  return (await readFile(file, "utf8")).trim().split("\n");
}

describe("loading the AI SDK lazily", () => {
  it("importing the proposers and creating them does not load `ai` or any provider", async () => {
    expect(await trace("import")).toEqual(["--- created"]);
  });

  it("the first proposal loads them (so the trace above would have seen an eager import)", async () => {
    const lines = await trace("propose");
    const created = lines.indexOf("--- created");
    expect(created).toBe(0);
    expect(lines).toContain("ai");
    expect(lines).toContain("@ai-sdk/openai-compatible");
    expect(lines.at(-1)).toBe("--- proposed failed");
  });
});
