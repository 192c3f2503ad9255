import { ConfigurationError } from "../errors/autoresearch-error.js";
import { git } from "./git.js";
import { tagMessage } from "./tag.js";

/**
 * Starts the tag `tag` from the best of the tag `from`: its branch `autoresearch/<tag>` is created at the head of
 * `autoresearch/<from>`, so the new research measures that code as its baseline and goes on from there. A tag
 * whose branch already exists is resumed as it is when its branch descends from `from`'s; otherwise it is an error,
 * since `from` could not apply to it.
 */
export async function startFrom(options: { directory: string; tag: string; from: string }): Promise<void> {
  const { directory, tag, from } = options;
  const bad = tagMessage(tag) ?? tagMessage(from, "--from");
  if (bad !== undefined) throw new ConfigurationError({ field: "from", message: bad });
  if (from === tag) {
    throw new ConfigurationError({
      field: "from",
      message: `Invalid \`--from\`: expected another tag than the one run, got \`${from}\` twice`,
    });
  }
  const resolveBranch = async (name: string) => {
    const result = await git(
      directory,
      ["rev-parse", "--verify", "-q", `refs/heads/autoresearch/${name}^{commit}`],
      // 1: no such branch; anything else (not a repository) is git's own error, not a missing tag.
      { allowExitCodes: [1] },
    );
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  const source = await resolveBranch(from);
  if (source === undefined) {
    throw new ConfigurationError({
      field: "from",
      message: `Invalid \`--from\`: there is no branch autoresearch/${from} to start from (see \`autoresearch status\` for the tags here)`,
    });
  }
  const existing = await resolveBranch(tag);
  if (existing === undefined) {
    await git(directory, [
      "update-ref",
      "-m",
      `autoresearch: start ${tag} from ${from}`,
      `refs/heads/autoresearch/${tag}`,
      source,
      "",
    ]);
    return;
  }
  const descends = await git(directory, ["merge-base", "--is-ancestor", source, existing], {
    allowExitCodes: [1],
  });
  if (descends.exitCode !== 0) {
    throw new ConfigurationError({
      field: "from",
      message: `The tag ${tag} already exists and did not start from ${from} (autoresearch/${tag} does not contain autoresearch/${from}); --from starts a new tag: choose another --tag`,
    });
  }
}
