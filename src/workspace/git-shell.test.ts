import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WorkspaceError } from "../errors/autoresearch-error.js";
import { createGitShell } from "./git-shell.js";

describe("the git shell", () => {
  it("runs commands in order with exact output, quoting, environment and exit codes", async () => {
    const directory = mkdtempSync(join(tmpdir(), "git shell 'quoted' "));
    const shell = createGitShell();
    try {
      await shell.git(directory, ["init", "-q"]);
      writeFileSync(join(directory, "it's here.txt"), "a\n");
      writeFileSync(join(directory, "b.txt"), "b\n");
      // Many commands at once still answer in order, each with its own output.
      const [, listed, tree] = await Promise.all([
        shell.git(directory, ["add", "-A"]),
        shell.git(directory, ["ls-files", "-z"]),
        shell.git(directory, ["write-tree"]),
      ]);
      expect(listed.stdout).toBe("b.txt\0it's here.txt\0");
      const commit = await shell.git(
        directory,
        ["commit-tree", tree.stdout.trim(), "-m", "a 'message' with $HOME"],
        {
          env: {
            GIT_AUTHOR_NAME: "A B",
            GIT_AUTHOR_EMAIL: "a@b",
            GIT_COMMITTER_NAME: "C",
            GIT_COMMITTER_EMAIL: "c@d",
          },
        },
      );
      const message = await shell.git(directory, ["log", "-1", "--format=%an|%s", commit.stdout.trim()]);
      expect(message.stdout).toBe("A B|a 'message' with $HOME\n");
      const answer = await shell.git(
        directory,
        ["merge-base", "--is-ancestor", commit.stdout.trim(), "HEAD"],
        {
          allowExitCodes: [1, 128],
        },
      );
      expect(answer.exitCode).not.toBe(0);
      const error = await shell
        .git(directory, ["rev-parse", "--verify", "nope"])
        .catch((caught: unknown) => caught);
      expect(WorkspaceError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain("`git rev-parse --verify nope` failed: fatal");
      // The shell is still usable after a failure.
      expect((await shell.git(directory, ["rev-parse", "--is-inside-work-tree"])).stdout).toBe("true\n");
    } finally {
      shell.close();
    }
  });
});
