import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { runSouk } from "../helpers/cli";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";

/** Debian's chromium (`.ci/run` installs it when absent); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/**
 * Screenshots the tests take, to look at. With UPDATE_SCREENSHOTS=1 they replace the ones
 * docs/console.md shows; otherwise they go to a temporary folder, so a test run leaves the
 * repository as it was.
 */
export const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dir, "..", "..", "docs", "console")
  : join(tmpdir(), "souk-console-shots");

export const DEMO_PASSWORD = "demo-password";

/** `dataDir`: the server's DATA_DIR, for a test that must plant a row no API call can make. */
export type Console = { server: RunningServer; browser: Browser; dataDir: string; stop(): Promise<void> };

/** A real server on a demo data set (a small history, so the charts have data) and a browser. */
export async function startConsole(): Promise<Console> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
  const dir = tempDataDir();
  const seeded = await runSouk(["seed", "--demo", "--scale", "1", "--seed", "7"], dir, {
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
  });
  if (seeded.code !== 0) throw new Error(`seed failed: ${seeded.stderr}`);
  const server = await startServer(dir);
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  return {
    server,
    browser,
    dataDir: dir,
    async stop() {
      await browser.close();
      await server.stop();
    },
  };
}

/** A fresh page (own cookies) at /admin, signed in as `username`. */
export async function signIn(c: Console, username: string, width = 1280): Promise<Page> {
  const ctx = await c.browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width, height: 860 });
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(String(e)));
  page.on("console", (m) => {
    // A 4xx the console handles (the refresh probe without a cookie, a refused form) is logged by
    // the browser as a failed resource; script errors and CSP refusals are the problems.
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(`${c.server.url}/admin`, { waitUntil: "networkidle0" });
  await page.locator("#app form input[autocomplete=username]").fill(username);
  await page.locator("input[type=password]").fill(DEMO_PASSWORD);
  await page.locator("button[type=submit]").click();
  await page.waitForSelector("nav[aria-label=Screens]");
  // The shell sends a user without the Overview to their first screen just after it renders:
  // opening another screen before that lands would be undone by it.
  await page.waitForFunction(
    `document.querySelector("#page-title") || !document.querySelector("nav[aria-label=Screens] a")`,
  );
  return page;
}

/** Problems the page reported: script errors and console errors (a CSP refusal is one). */
export const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

/** Saves a screenshot under docs/console/<name>.png. */
export async function shot(page: Page, name: string) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
}

/** Opens a screen by its hash path and waits for its title. */
export async function open(page: Page, path: string, title: string) {
  await page.evaluate(`location.hash = ${JSON.stringify(path)}`);
  await page.waitForFunction(
    `document.querySelector("#page-title")?.textContent === ${JSON.stringify(title)}`,
  );
}
