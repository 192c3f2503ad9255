import { existsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeReport } from "../src/report/write-report.js";
import { createResearchRepo } from "./fixtures/report/research-repo.js";

// Debian's package; `.ci/run` installs it with `apt-get install -y chromium`.
const executablePath = "/usr/bin/chromium";

// Without Chromium the test is skipped with a notice, except under CI, where it must run.
const hasChromium = existsSync(executablePath);
if (!hasChromium && !process.env.CI) {
  console.log(`Browser test skipped: ${executablePath} is missing (apt-get install -y chromium).`);
}

describe.skipIf(!hasChromium && !process.env.CI)("the HTML report in a real browser", () => {
  let browser: Browser;
  let screenshots: string;
  const repo = createResearchRepo({ trials: 20 });

  beforeAll(async () => {
    if (!existsSync(executablePath)) {
      throw new Error(
        `${executablePath} is missing: install Debian's chromium (apt-get install -y chromium)`,
      );
    }
    screenshots = await mkdtemp(join(tmpdir(), "autoresearch-report-shots-"));
    browser = await chromium.launch({
      executablePath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await rm(repo.directory, { recursive: true, force: true });
    if (screenshots !== undefined) await rm(screenshots, { recursive: true, force: true });
  });

  it("opens offline, draws the chart at its size, and shows a diff in place", async () => {
    const { file } = await writeReport({ directory: repo.directory, tag: repo.tag });
    const url = pathToFileURL(file).href;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));

    await page.goto(url, { waitUntil: "load" });
    // A string, evaluated in the page: this project's TypeScript has no DOM types.
    const chart = (await page.evaluate(`(() => {
      const svg = document.querySelector("figure.chart svg");
      if (svg === null) return undefined;
      const box = svg.getBoundingClientRect();
      const points = [...svg.querySelectorAll('[aria-roledescription="point"]')];
      return {
        width: box.width,
        height: box.height,
        declaredWidth: Number(svg.getAttribute("width")),
        declaredHeight: Number(svg.getAttribute("height")),
        points: points.length,
        drawnPoints: points.filter((node) => {
          const rect = node.getBoundingClientRect();
          return rect.width > 0 && rect.height > 0;
        }).length,
      };
    })()`)) as
      | {
          width: number;
          height: number;
          declaredWidth: number;
          declaredHeight: number;
          points: number;
          drawnPoints: number;
        }
      | undefined;
    const screenshot = join(screenshots, "report.png");
    await page.screenshot({ path: screenshot, fullPage: false });

    expect(chart).toBeDefined();
    expect(chart?.declaredWidth).toBeGreaterThan(900);
    expect(chart?.declaredHeight).toBeGreaterThan(380);
    expect(chart?.width).toBeCloseTo(chart?.declaredWidth ?? 0, 0);
    expect(chart?.height).toBeCloseTo(chart?.declaredHeight ?? 0, 0);
    expect(chart?.points).toBe(repo.records.length);
    expect(chart?.drawnPoints).toBe(repo.records.length);
    expect((await stat(screenshot)).size).toBeGreaterThan(10_000);

    const kept = repo.records.find((record) => record.kind !== "baseline" && record.status === "keep");
    if (kept === undefined) throw new Error("the generated research kept nothing");
    const row = page.locator(`#trial-${kept.id}`);
    const diff = row.locator("pre.diff");
    expect(await diff.isVisible()).toBe(false);
    await row.locator("summary").click();
    expect(await diff.isVisible()).toBe(true);
    expect(await diff.locator(".add").count()).toBeGreaterThan(0);
    type Styled = { getComputedStyle(node: unknown): { color: string } };
    const addColor = await diff
      .locator(".add")
      .first()
      .evaluate((node) => (globalThis as unknown as Styled).getComputedStyle(node).color);
    expect(addColor).toBe("rgb(17, 99, 41)");
    await row.screenshot({ path: join(screenshots, "diff.png") });

    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
    await page.close();
  });
});
