import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repositoryRootOf } from "./repository.js";

const roots: string[] = [];
const saved = { ...process.env };
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
});

function repository(): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "autoresearch-repository-")));
  roots.push(root);
  execFileSync("git", ["init", "-q", "-b", "main", root]);
  mkdirSync(join(root, "sub", "deeper"), { recursive: true });
  return root;
}

describe("repositoryRootOf", () => {
  it("finds the root of the repository from a folder inside it", async () => {
    const root = repository();
    expect(await repositoryRootOf(join(root, "sub", "deeper"))).toBe(root);
    expect(await repositoryRootOf(root)).toBe(root);
  });

  it("answers undefined outside a repository and inside its .git folder", async () => {
    const outside = realpathSync(mkdtempSync(join(tmpdir(), "autoresearch-no-repository-")));
    roots.push(outside);
    expect(await repositoryRootOf(outside)).toBeUndefined();
    expect(await repositoryRootOf(join(repository(), ".git"))).toBeUndefined();
  });

  it("is not redirected by GIT_ variables in the driver's environment", async () => {
    const researched = repository();
    const other = repository();
    process.env.GIT_DIR = join(other, ".git");
    process.env.GIT_WORK_TREE = other;
    expect(await repositoryRootOf(join(researched, "sub"))).toBe(researched);
  });
});
