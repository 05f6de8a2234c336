import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Console, open, problemsOf, shot, signIn, startConsole } from "./browser";

// The console in a real Chromium against a real server on the demo data set.
let c: Console;

beforeAll(async () => {
  c = await startConsole();
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

describe("the admin console", () => {
  test("a wrong password is refused on the form, next to it; the right one opens the Overview", async () => {
    const ctx = await c.browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(`${c.server.url}/admin`, { waitUntil: "networkidle0" });
    await page.locator("input[autocomplete=username]").fill("admin_1");
    await page.locator("input[type=password]").fill("not the password");
    await page.locator("button[type=submit]").click();
    const error = await page.waitForSelector("form [role=alert]");
    expect(await error!.evaluate((e) => e.textContent)).toContain("wrong login or password");
    await shot(page, "login");
    await ctx.close();
  });

  test("the Overview draws the seed's history: charts with data, figures, CSV downloads", async () => {
    const page = await signIn(c, "admin_1");
    await open(page, "/", "Overview");
    await page.waitForSelector("figure[data-chart='User growth'] canvas");
    // Each chart's figures are also in its table: 30 days, and not all zero.
    const growth = await page.$$eval("figure[data-chart='User growth'] table.sr-only tbody td", (tds) =>
      tds.map((td) => Number(td.textContent)),
    );
    expect(growth).toHaveLength(30);
    expect(growth.some((n) => n > 0)).toBe(true);
    expect(
      await page.$$eval("figure[data-chart^='Revenue per day'] table.sr-only tbody tr", (r) => r.length),
    ).toBe(30);
    expect(await page.$eval(".stats", (e) => e.textContent)).toContain("1000");
    // The daily metrics chart over the default range.
    await page.waitForSelector("figure[data-chart='Daily new_users'] canvas");
    // A CSV download is fetched with the token and answers text/csv.
    const csv = page.waitForResponse(
      (r) => r.url().includes("/analytics/user-growth") && r.url().includes("format=csv"),
    );
    await page.locator("xpath///button[text()='Download CSV']").click();
    const res = await csv;
    expect(res.status()).toBe(200);
    expect(res.headers()["content-type"]).toContain("text/csv");
    expect(problemsOf(page)).toEqual([]);
    await shot(page, "overview");
    await page.browserContext().close();
  });

  test("readable at 360 px: the nav scrolls above the content, nothing overflows the page", async () => {
    const page = await signIn(c, "admin_1", 360);
    await page.waitForSelector("figure[data-chart='User growth'] canvas");
    // Once the charts have taken their box's width (a ResizeObserver), nothing is wider than the page.
    await page.waitForFunction(
      "document.documentElement.scrollWidth <= document.documentElement.clientWidth",
      {
        timeout: 5000,
      },
    );
    await shot(page, "overview-360");
    await page.browserContext().close();
  });

  test("a support user sees only screens their permissions cover", async () => {
    const page = await signIn(c, "support_1");
    const nav = await page.$$eval("nav[aria-label=Screens] a", (as) => as.map((a) => a.textContent));
    // Support holds no analytics:read: no Overview; the first screen they may use opens instead.
    expect(nav).not.toContain("Overview");
    expect(await page.$eval("main", (m) => m.textContent)).not.toContain("User growth");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  });

  test("signing out ends the session: a reload shows the login, the refresh cookie is gone", async () => {
    const page = await signIn(c, "admin_1");
    await page.locator("xpath///button[text()='Sign out']").click();
    await page.waitForSelector("form input[type=password]");
    await page.reload({ waitUntil: "networkidle0" });
    await page.waitForSelector("form input[type=password]");
    await page.browserContext().close();
  });

  test("a reload keeps the session through the refresh cookie (no token is stored in the page)", async () => {
    const page = await signIn(c, "admin_1");
    await page.reload({ waitUntil: "networkidle0" });
    await page.waitForSelector("nav[aria-label=Screens]");
    const stored = await page.evaluate(
      "JSON.stringify([localStorage.length, sessionStorage.length, document.cookie])",
    );
    expect(stored).toBe('[0,0,""]');
    await page.browserContext().close();
  });

  test("first screen under a second on loopback; the script under 250 KB gzipped", async () => {
    const ctx = await c.browser.createBrowserContext();
    const page = await ctx.newPage();
    // Warm: the server builds the bundle on its first request when run from source.
    await page.goto(`${c.server.url}/admin`, { waitUntil: "networkidle0" });
    const fresh = await c.browser.createBrowserContext();
    const p2 = await fresh.newPage();
    const t0 = performance.now();
    // From navigation to the login form drawn (networkidle0 would add its own 500 ms of quiet).
    await p2.goto(`${c.server.url}/admin`, { waitUntil: "domcontentloaded" });
    await p2.waitForSelector("form input[type=password]");
    expect(performance.now() - t0).toBeLessThan(1000);
    const html = await (await fetch(`${c.server.url}/admin`)).text();
    const src = /src="([^"]+app\.js[^"]*)"/.exec(html)![1]!;
    const js = await fetch(`${c.server.url}${src}`, { headers: { "accept-encoding": "gzip" } });
    expect(js.headers.get("content-encoding")).toBe("gzip");
    const gz = Bun.gzipSync(new Uint8Array(await (await fetch(`${c.server.url}${src}`)).arrayBuffer()));
    expect(gz.length).toBeLessThan(250 * 1024);
    await ctx.close();
    await fresh.close();
  });
});
