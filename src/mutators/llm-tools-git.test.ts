import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createWorkspaceTools } from "./llm-tools.js";

// A worktree like the loop's: a `.git` file pointing at the repository, and links committed in the project
// that lead onto it (`alias` is the project itself, `gitlink` the `.git` file, `hooks` a folder inside .git).
let root: string;
let work: string;
const gitLink = "gitdir: /somewhere/.git/worktrees/trial\n";

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "llm-tools-git-"));
  work = join(root, "work");
  await mkdir(join(work, "src"), { recursive: true });
  await mkdir(join(root, "repository-git", "hooks"), { recursive: true });
  await writeFile(join(work, ".git"), gitLink);
  await writeFile(join(work, "src", "train.py"), "lr = 0.1\n");
  await symlink(".", join(work, "alias"));
  await symlink(".git", join(work, "gitlink"));
  await symlink("src", join(work, "SRC-alias"));
  await mkdir(join(work, "nested", ".git"), { recursive: true });
  await writeFile(join(work, "nested", ".git", "config"), "[core]\n");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function tools(limits: Record<string, number> = {}, abortSignal?: AbortSignal) {
  const session = createWorkspaceTools({
    directory: work,
    scope: { editable: ["**"], protected: [] },
    limits,
    ...(abortSignal === undefined ? {} : { abortSignal }),
  });
  const run = (name: string, input: unknown) =>
    (session.tools[name] as unknown as { execute: (input: unknown) => Promise<string> }).execute(input);
  return { run, state: session.state };
}

describe("the workspace tools and .git", () => {
  const hostile: [string, Record<string, unknown>][] = [
    ["write_file", { path: ".git/config", content: "[core]\n\tfsmonitor = evil\n" }],
    ["write_file", { path: ".GIT/hooks/post-checkout", content: "evil" }],
    ["edit_file", { path: ".git", search: "gitdir", replace: "gitdir: /tmp/evil\n#" }],
    ["edit_file", { path: "alias/.git", search: "gitdir", replace: "evil" }],
    ["edit_file", { path: "gitlink", search: "gitdir", replace: "evil" }],
    ["write_file", { path: "alias/.git/config", content: "x" }],
    ["write_file", { path: "src/.git", content: "gitdir: /tmp/evil\n" }],
    ["write_file", { path: "src/sub/.Git/HEAD", content: "ref: refs/heads/main\n" }],
    ["write_file", { path: "SRC-alias/.git/config", content: "x" }],
    ["write_file", { path: "nested/.git/hooks/pre-commit", content: "evil" }],
    ["edit_file", { path: "nested/.git/config", search: "[core]", replace: "[core]\n\thooksPath = /tmp" }],
    ["read_file", { path: "alias/.git" }],
    ["read_file", { path: "gitlink" }],
    ["read_file", { path: "nested/.git/config" }],
    ["list_files", { path: "nested/.git" }],
    ["list_files", { path: "alias/alias/.git" }],
    ["search_text", { query: "gitdir", path: "gitlink" }],
  ];

  it.each(hostile)("refuses %s %j", async (tool, input) => {
    const { run, state } = tools();
    expect(await run(tool, input)).toContain(".git directory is off limits");
    expect(state.changedFiles.size).toBe(0);
  });

  it("leaves every .git as it was after all of those calls, creates no nested repository, and hides .git from listings and searches", async () => {
    const { run } = tools();
    for (const [tool, input] of hostile) await run(tool, input);
    expect(await readFile(join(work, ".git"), "utf8")).toBe(gitLink);
    expect(await readFile(join(work, "nested", ".git", "config"), "utf8")).toBe("[core]\n");
    expect(existsSync(join(work, "src", ".git"))).toBe(false);
    expect(existsSync(join(work, "src", "sub"))).toBe(false);
    const listing = await run("list_files", {});
    expect(listing).not.toMatch(/\.git\b(?!link)/i);
    expect(await run("search_text", { query: "gitdir" })).toBe("No matches for `gitdir`.");
    expect(await run("search_text", { query: "core", regex: true })).toBe("No matches for `core`.");
    // The ordinary edit through the same links still works.
    expect(await run("edit_file", { path: "SRC-alias/train.py", search: "0.1", replace: "0.2" })).toContain(
      "Edited",
    );
    expect(await readFile(join(work, "src", "train.py"), "utf8")).toBe("lr = 0.2\n");
  });

  it("answers a catastrophic regular expression with a refusal instead of blocking", async () => {
    await writeFile(join(work, "src", "long.txt"), `${"a".repeat(40)}!\n`);
    const { run } = tools({ searchTimeoutMs: 300 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const answer = await run("search_text", { query: "^(a+)+$", regex: true });
    clearInterval(ticker);
    expect(answer).toContain("was stopped after 300 ms");
    // The event loop kept running while the pattern backtracked in its worker.
    expect(ticks).toBeGreaterThan(3);
    expect(await run("search_text", { query: "(a+)+$" })).toBe("No matches for `(a+)+$`.");
  });

  it("ends a search under way when the proposal is aborted", async () => {
    await writeFile(join(work, "src", "long.txt"), `${"a".repeat(40)}!\n`);
    const controller = new AbortController();
    const { run } = tools({ searchTimeoutMs: 600_000 }, controller.signal);
    const answer = run("search_text", { query: "^(a+)+$", regex: true });
    setTimeout(() => controller.abort(new Error("stopped by the test")), 100);
    expect(await answer).toBe("Error: stopped by the test");
  });
});
