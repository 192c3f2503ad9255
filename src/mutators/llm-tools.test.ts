import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspaceTools, findNearestMatch } from "./llm-tools.js";

let root: string;
let work: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "llm-tools-"));
  work = join(root, "work");
  await mkdir(join(work, "lib"), { recursive: true });
  await writeFile(join(root, "outside.txt"), "outside\n");
  await writeFile(join(work, "a.txt"), "one\ntwo\nthree\n");
  await writeFile(join(work, "lib", "protected.txt"), "keep\n");
  await writeFile(join(work, "blob.bin"), Buffer.from([1, 0, 2, 0]));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function tools() {
  const session = createWorkspaceTools({
    directory: work,
    scope: { editable: ["*.txt", "lib/**", "new/**"], protected: ["lib/protected.txt"] },
    limits: { readChars: 10 },
  });
  const run = (name: string, input: unknown) =>
    (session.tools[name] as unknown as { execute: (input: unknown) => Promise<string> }).execute(input);
  return { run, state: session.state };
}

describe("the workspace tools", () => {
  it("reads line ranges and cuts long reads with a note", async () => {
    const { run } = tools();
    expect(await run("read_file", { path: "a.txt", startLine: 2, endLine: 3 })).toBe(
      "a.txt (lines 2-3 of 3):\ntwo\nthree",
    );
    expect(await run("read_file", { path: "a.txt" })).toContain("[cut at 10 characters");
    expect(await run("read_file", { path: "a.txt", startLine: 9 })).toContain("has only 3 lines");
    expect(await run("read_file", { path: "blob.bin" })).toContain("binary file");
  });

  it("refuses a symlink planted in a new directory's path and writes nothing outside", async () => {
    await symlink(root, join(work, "new"));
    const { run, state } = tools();
    expect(await run("write_file", { path: "new/outside.txt", content: "x" })).toContain(
      "outside the project directory",
    );
    expect(await run("write_file", { path: "new/deeper/file.txt", content: "x" })).toContain("symbolic link");
    expect(await readFile(join(root, "outside.txt"), "utf8")).toBe("outside\n");
    expect(state.changedFiles.size).toBe(0);
    expect(state.refusals).toHaveLength(2);
  });

  it("creates new files in new directories inside the scope, and never overwrites", async () => {
    const { run, state } = tools();
    expect(await run("write_file", { path: "new/deep/file.txt", content: "hi\n" })).toContain(
      "Created `new/deep/file.txt`",
    );
    expect(await run("write_file", { path: "a.txt", content: "x" })).toContain("already exists");
    expect(await run("write_file", { path: "other/x.txt", content: "x" })).toContain(
      "outside the editable scope",
    );
    expect([...state.changedFiles]).toEqual(["new/deep/file.txt"]);
  });

  it("searches literally or by regular expression, and reports a bad expression", async () => {
    const { run } = tools();
    expect(await run("search_text", { query: "two" })).toBe("a.txt:2: two");
    expect(await run("search_text", { query: "^t", regex: true })).toBe("a.txt:2: two\na.txt:3: three");
    expect(await run("search_text", { query: "(", regex: true })).toContain("Invalid regular expression");
  });

  it("finish wants one line and a change first", async () => {
    const { run, state } = tools();
    expect(await run("finish", { description: "x", rationale: "y" })).toContain(
      "No file has been changed yet",
    );
    await run("edit_file", { path: "a.txt", search: "two", replace: "2" });
    expect(await run("finish", { description: "a\nb", rationale: "y" })).toContain("one line");
    expect(await run("finish", { description: "  use 2  ", rationale: " because " })).toContain("Recorded");
    expect(state.finished).toEqual({ description: "use 2", rationale: "because" });
  });
});

describe("findNearestMatch", () => {
  it("finds the most similar window of lines", () => {
    const content = "function a() {\n  return 1;\n}\nfunction b() {\n  return 2;\n}\n";
    expect(findNearestMatch(content, "function b() {\n  return  2;\n}")).toMatchObject({
      startLine: 4,
      endLine: 6,
    });
    expect(findNearestMatch("", "x")).toBeUndefined();
  });
});

describe("concurrent tool calls", () => {
  it("applies two edits of one file made in the same step, one after the other", async () => {
    const { run } = tools();
    const results = await Promise.all([
      run("edit_file", { path: "a.txt", search: "one", replace: "1" }),
      run("edit_file", { path: "a.txt", search: "three", replace: "3" }),
    ]);
    expect(results.every((result) => result.startsWith("Edited"))).toBe(true);
    expect(await readFile(join(work, "a.txt"), "utf8")).toBe("1\ntwo\n3\n");
  });
});
