/**
 * Writing your own roles: a runner and a mutator in a few lines each, composed with a built-in objective.
 *
 *   npx tsx examples/custom-roles/research.ts [directory]
 *
 * Without a directory it makes a small git repository to research: `score.js` prints how far the numbers in
 * `params.json` are from a hidden target, and the mutator nudges one number at a time. It imports the package by
 * its name, as your code would; in this repository that name resolves to the source (tsconfig `paths`).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import {
  createMetricObjective,
  defineMutator,
  defineRunner,
  isStalled,
  isTrialCount,
  runResearch,
} from "autoresearch";

/** A runner: run `node score.js` in the trial directory and write what it printed to the log. */
const runner = defineRunner({
  name: "node-score",
  run: ({ directory, logFile, env, abortSignal }) =>
    new Promise((resolve) => {
      const started = Date.now();
      execFile(
        "node",
        ["score.js"],
        { cwd: directory, env: { ...process.env, ...env }, signal: abortSignal },
        (error, stdout, stderr) => {
          mkdirSync(dirname(logFile), { recursive: true });
          writeFileSync(logFile, stdout + stderr);
          const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
          resolve({
            exitCode: abortSignal.aborted ? null : code,
            signal: abortSignal.aborted ? "SIGTERM" : null,
            durationMs: Date.now() - started,
            timedOut: false,
            interrupted: abortSignal.aborted,
            logFile,
            outputTail: (stdout + stderr).split("\n").slice(-20).join("\n"),
          });
        },
      );
    }),
});

/** A mutator: nudge one of the numbers in params.json, by a step that shrinks as the research goes on. */
const mutator = defineMutator({
  name: "nudge",
  async propose({ directory, trial }) {
    const file = join(directory, "params.json");
    const params = JSON.parse(readFileSync(file, "utf8")) as Record<string, number>;
    const names = Object.keys(params);
    const name = names[trial % names.length] as string;
    const step = (trial % 2 === 0 ? 1 : -1) * Math.max(0.1, 4 / trial);
    params[name] = Number(((params[name] ?? 0) + step).toFixed(3));
    writeFileSync(file, `${JSON.stringify(params, null, 2)}\n`);
    return { type: "edit", description: `${name} ${step > 0 ? "+" : ""}${step.toFixed(2)}` };
  },
});

async function createToyRepository(): Promise<string> {
  const directory = mkdtempSync(join(tmpdir(), "autoresearch-custom-roles-"));
  writeFileSync(join(directory, "params.json"), '{\n  "a": 0,\n  "b": 0\n}\n');
  writeFileSync(
    join(directory, "score.js"),
    [
      'const { a, b } = JSON.parse(require("node:fs").readFileSync("params.json", "utf8"));',
      'console.log("distance: " + Math.hypot(a - 3.2, b + 1.7).toFixed(6));',
    ].join("\n"),
  );
  writeFileSync(join(directory, "package.json"), '{ "type": "commonjs" }\n');
  const identity = ["-c", "user.name=example", "-c", "user.email=example@localhost"];
  for (const args of [
    ["init", "-q"],
    ["add", "-A"],
    ["commit", "-q", "-m", "toy target"],
  ]) {
    await promisify(execFile)("git", [...identity, ...args], { cwd: directory });
  }
  return directory;
}

const directory = process.argv[2] ?? (await createToyRepository());

const summary = await runResearch({
  directory,
  tag: "custom-roles",
  runner,
  mutator,
  objective: createMetricObjective({ metric: "distance", direction: "minimize" }),
  scope: { editable: ["params.json"], protected: ["score.js"] },
  stopWhen: [isTrialCount(12), isStalled(6)],
  onEvent: (event) => {
    if (event.type === "trial-end") {
      const { id, status, metric, description } = event.record;
      console.log(`trial ${id}  ${status.padEnd(8)} distance ${metric?.toFixed(4) ?? "-"}  ${description}`);
    }
  },
});
console.log(
  `\nbest distance ${summary.best?.metric?.toFixed(4)} (trial ${summary.best?.id}), from ${summary.baseline?.metric?.toFixed(4)}; ` +
    `branch ${summary.branch} in ${summary.directory}`,
);
