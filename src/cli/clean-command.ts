import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { type CleanPlan, executeClean, isEmptyPlan, planClean } from "../workspace/clean-research.js";
import { chooseTag } from "./choose-tag.js";
import type { CliIo, ParsedArguments } from "./main.js";

function describePlan(plan: CleanPlan): string[] {
  const lines = [`autoresearch clean ${plan.tag} removes, in ${plan.repositoryRoot}:`];
  if (plan.branch !== undefined)
    lines.push(`  the branch ${plan.branch.name} (at ${plan.branch.commit.slice(0, 7)})`);
  if (plan.trialRefs.length > 0) {
    lines.push(`  ${plan.trialRefs.length} trial refs refs/autoresearch/${plan.tag}/trials/*`);
  }
  for (const worktree of plan.worktrees) lines.push(`  the trial worktree ${worktree}`);
  if (plan.state !== undefined) {
    lines.push(
      `  the state ${plan.state.path} (the ledger of ${plan.state.trials} trials, their logs, the reports)`,
    );
  }
  lines.push("Your own branches and your checkout are not touched.");
  return lines;
}

/** One line from standard input; `undefined` at its end. */
async function readAnswer(io: CliIo, question: string): Promise<string | undefined> {
  io.stderr.write(question);
  const lines = createInterface({ input: io.stdin ?? process.stdin, terminal: false });
  try {
    return await new Promise<string | undefined>((answer) => {
      lines.once("line", answer);
      lines.once("close", () => answer(undefined));
    });
  } finally {
    lines.close();
  }
}

/**
 * `autoresearch clean [tag]`: removes a research (its branch, trial refs, worktrees and state) after asking,
 * unless `--yes`. Exit code 0 when removed (or nothing was there), 1 when the answer was not yes.
 */
export async function cleanCommand(tag: string | undefined, values: ParsedArguments["values"], io: CliIo) {
  const directory = resolve(values.directory ?? ".");
  const plan = await planClean({ directory, tag: await chooseTag(directory, tag, "clean") });
  if (isEmptyPlan(plan)) {
    io.stdout.write(`Nothing to clean: no research tagged ${plan.tag} in ${plan.directory}\n`);
    return 0;
  }
  io.stdout.write(`${describePlan(plan).join("\n")}\n`);
  if (!values.yes) {
    const answer = await readAnswer(io, "Remove all of this? [y/N] ");
    if (!/^y(es)?$/i.test(answer?.trim() ?? "")) {
      io.stdout.write("Nothing removed.\n");
      return 1;
    }
  }
  await executeClean(plan);
  io.stdout.write(`Removed the research ${plan.tag}.\n`);
  return 0;
}
