import { join, resolve } from "node:path";
import { ConfigurationError } from "../errors/autoresearch-error.js";
import { readLedgerFile } from "../ledgers/jsonl-ledger.js";
import { readResearchDescription } from "../ledgers/research-description.js";
import {
  decimalsFor,
  formatCost,
  formatDuration,
  formatMetric,
  formatPercent,
} from "../report/format-values.js";
import { buildReportData, type ReportData } from "../report/report-data.js";
import { git } from "../workspace/git.js";
import { chooseTag } from "./choose-tag.js";
import type { CliIo, ParsedArguments } from "./main.js";

interface Side {
  tag: string;
  data: ReportData;
  /** The best trial's commit: the incumbent the tag's branch holds. */
  bestCommit: string | null;
}

async function readSide(directory: string, tag: string): Promise<Side> {
  const state = join(directory, ".autoresearch", tag);
  const records = await readLedgerFile(join(state, "ledger.jsonl"));
  if (records.length === 0) {
    throw new ConfigurationError({
      field: "tag",
      message: `No trials recorded for the tag ${tag} in ${directory}`,
    });
  }
  const described = await readResearchDescription(state);
  const data = buildReportData(records, {
    tag,
    ...(described === undefined ? {} : { metric: described.metric, direction: described.direction }),
  });
  const best = records.find((record) => record.id === data.best?.id);
  return { tag, data, bestCommit: best?.commit ?? null };
}

function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

/** Which side's best is better, when both measured the same metric the same way. */
function better(a: Side, b: Side): Side | undefined {
  const [x, y] = [a.data.best?.metric, b.data.best?.metric];
  if (x == null || y == null || x === y || a.data.metric !== b.data.metric) return undefined;
  const lower = x < y ? a : b;
  return a.data.direction === "minimize" ? lower : lower === a ? b : a;
}

/** `autoresearch compare <tagA> <tagB>`: the two researches side by side, and the diff between their bests. */
export async function compareCommand(tags: string[], values: ParsedArguments["values"], io: CliIo) {
  if (tags.length !== 2) {
    throw new ConfigurationError({
      field: "tags",
      message: `Expected two tags to compare (autoresearch compare <tagA> <tagB>), got ${tags.length}`,
    });
  }
  const directory = resolve(values.directory ?? ".");
  const sides: Side[] = [];
  for (const tag of tags) sides.push(await readSide(directory, await chooseTag(directory, tag, "compare")));
  const [a, b] = sides as [Side, Side];
  const diff =
    a.bestCommit !== null && b.bestCommit !== null
      ? (await git(directory, ["diff", "--relative", a.bestCommit, b.bestCommit])).stdout
      : "";
  const winner = better(a, b);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ directory, tags: sides, better: winner?.tag ?? null, diff })}\n`);
    return 0;
  }
  const decimals = decimalsFor(a.data.baseline?.metric ?? a.data.best?.metric ?? 1);
  const column = (format: (data: ReportData, side: Side) => string) =>
    sides.map((side) => format(side.data, side));
  const rows = [
    ["", a.tag, b.tag],
    [
      "metric",
      ...column((data) => `${data.metric}, ${data.direction === "minimize" ? "lower" : "higher"} is better`),
    ],
    ["trials", ...column((data) => `${data.trials}, the baseline included`)],
    ["kept", ...column((data) => String(data.counts.keep))],
    [
      "baseline",
      ...column((data) =>
        data.baseline === undefined
          ? "-"
          : `${formatMetric(data.baseline.metric, decimals)} (trial ${data.baseline.id}${data.baseline.status === "keep" ? "" : `, ${data.baseline.status}`})`,
      ),
    ],
    [
      "best",
      ...column((data, side) =>
        data.best === undefined
          ? "-"
          : `${formatMetric(data.best.metric, decimals)} (trial ${data.best.id}${side.bestCommit === null ? "" : `, ${side.bestCommit.slice(0, 7)}`})`,
      ),
    ],
    [
      "vs baseline",
      ...column((data) =>
        data.best?.id === data.baseline?.id ? "-" : formatPercent(data.improvement?.relative) || "-",
      ),
    ],
    ["cost", ...column((data) => formatCost(data.costUsd))],
    ["compute time", ...column((data) => formatDuration(data.computeTimeMs))],
  ];
  const lines = [`compare ${a.tag} and ${b.tag} in ${directory}`, table(rows), ""];
  if (a.data.metric !== b.data.metric) {
    lines.push(
      `The tags measure different metrics (${a.data.metric}, ${b.data.metric}): their numbers do not compare.`,
    );
  } else if (winner !== undefined) {
    const other = winner === a ? b : a;
    lines.push(
      `The better best: ${winner.tag} (${formatMetric(winner.data.best?.metric, decimals)} vs ${formatMetric(other.data.best?.metric, decimals)}).`,
    );
  } else lines.push("Neither best is better than the other.");
  if (a.bestCommit === null || b.bestCommit === null) {
    lines.push("No diff: one of the tags has no best commit.");
  } else {
    lines.push(
      "",
      `The diff from the best of ${a.tag} (${a.bestCommit.slice(0, 7)}) to the best of ${b.tag} (${b.bestCommit.slice(0, 7)}):`,
      diff.trim() === "" ? "(the same code)" : diff.trimEnd(),
    );
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
