import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Console, DEMO_PASSWORD, startConsole } from "./browser";

// The console with the keyboard alone: no mouse event in this file.
let c: Console;

beforeAll(async () => {
  c = await startConsole();
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

const focused = (page: import("puppeteer-core").Page) =>
  page.evaluate(
    "(() => { const e = document.activeElement; return e ? [e.tagName.toLowerCase(), e.getAttribute('type') ?? '', (e.textContent ?? '').trim().slice(0, 30)].join(':') : '' })()",
  ) as Promise<string>;

test("sign in, skip to the content and open a screen with Tab and Enter", async () => {
  const ctx = await c.browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${c.server.url}/admin`, { waitUntil: "networkidle0" });
  await page.waitForSelector("form input[type=password]");
  await page.keyboard.press("Tab");
  expect(await focused(page)).toStartWith("input:");
  await page.keyboard.type("admin_1");
  await page.keyboard.press("Tab");
  expect(await focused(page)).toStartWith("input:password");
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForSelector("nav[aria-label=Screens]");
  await page.waitForFunction(`document.querySelector("#page-title")?.textContent === "Overview"`);
  // The first Tab reaches "Skip to content"; Enter moves to the screen.
  await page.evaluate("document.activeElement?.blur()");
  await page.keyboard.press("Tab");
  expect(await focused(page)).toBe("a::Skip to content");
  // Tab through the header and the nav to "Users", then open it.
  for (let i = 0; i < 20 && !(await focused(page)).endsWith(":Users"); i++) await page.keyboard.press("Tab");
  expect(await focused(page)).toBe("a::Users");
  await page.keyboard.press("Enter");
  await page.waitForFunction(`document.querySelector("#page-title")?.textContent === "Users"`);
  // Every control the screen shows has a label, as a screen reader needs.
  const unlabelled = await page.evaluate(
    `[...document.querySelectorAll("main input, main select, main textarea")].filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.getAttribute("aria-labelledby")) && e.type !== "hidden").length`,
  );
  expect(unlabelled).toBe(0);
  expect(errors).toEqual([]);
  await ctx.close();
}, 30_000);
