import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { type Console, DEMO_PASSWORD, open, problemsOf, shot, signIn, startConsole } from "./browser";

// Minutes (packages, promo codes, purchases, grants) and platform settings, events, audit log and
// critical errors in a real Chromium against a real server on the demo data set.
let c: Console;
let token: string;

async function login(name: string): Promise<string> {
  const res = await fetch(`${c.server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: name, password: DEMO_PASSWORD }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function call<T = Record<string, unknown>>(path: string, as = token): Promise<T> {
  const res = await fetch(`${c.server.url}/api/v1${path}`, { headers: { authorization: `Bearer ${as}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type List<T> = { count: number; results: T[] };
type Pkg = {
  id: number;
  name: string;
  seconds: number;
  price: number;
  validity_days: number;
  is_active: boolean;
};

const textOf = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
const button = (page: Page, text: string) => page.locator(`xpath///button[normalize-space()='${text}']`);
const cells = (page: Page, column: number) =>
  page.$$eval(`main tbody tr td:nth-child(${column})`, (tds) => tds.map((td) => td.textContent ?? ""));

/** A signed-in page whose waits fail within the test's time, naming what they waited for. */
async function session(name: string, width?: number): Promise<Page> {
  const page = await signIn(c, name, width);
  page.setDefaultTimeout(8000);
  return page;
}

/** Waits for the list's pager to count `n` rows (the API's count for the same filter). */
const pagerSays = (page: Page, n: number) =>
  page.waitForFunction(`document.querySelector(".pager")?.textContent?.includes("· ${n} in all")`);

/** Types into a field, replacing what is there, as a user would (select all, delete, type). */
async function fill(page: Page, selector: string, value: string) {
  await page.focus(selector);
  await page.keyboard.down("Control");
  await page.keyboard.press("a");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  if (value) await page.keyboard.type(value);
}

beforeAll(async () => {
  c = await startConsole();
  token = await login("admin_1");
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

describe("minutes and platform screens", () => {
  test("packages: a refused form says why beside the field and creates nothing; a good one creates the package; deactivate takes two clicks", async () => {
    const before = await call<List<Pkg>>("/admin/packages?page_size=100");
    const page = await session("admin_1");
    await page.locator("xpath///nav[@aria-label='Screens']//a[text()='Minutes']").click();
    await page.waitForFunction(`document.querySelector("#page-title")?.textContent === "Packages"`);
    await page.waitForSelector("main tbody tr td");
    expect(await cells(page, 2)).toEqual(before.results.map((p) => expect.stringContaining(p.name)));

    await fill(page, "input[name=name]", "Console hour and a half");
    await fill(page, "input[name=seconds]", "5400");
    await fill(page, "input[name=price]", "-5");
    await fill(page, "input[name=validity_days]", "60");
    await button(page, "Create package").click();
    const priceError = await page.waitForSelector(".field.invalid:has(input[name=price]) .field-error");
    expect(await priceError!.evaluate((e) => e.textContent)).toMatch(/>=\s*0/);
    expect((await call<List<Pkg>>("/admin/packages?page_size=100")).count).toBe(before.count);

    await fill(page, "input[name=price]", "45000");
    await button(page, "Create package").click();
    await page.waitForSelector("xpath///p[@role='status'][contains(., 'created')]");
    expect(await page.$$(".field.invalid")).toHaveLength(0);
    const after = await call<List<Pkg>>("/admin/packages?page_size=100");
    const made = after.results.find((p) => p.name === "Console hour and a half")!;
    expect(made).toMatchObject({ seconds: 5400, price: 45000, validity_days: 60, is_active: true });
    expect(after.count).toBe(before.count + 1);
    await page.waitForSelector(`xpath///td[contains(., 'Console hour and a half')]`);
    // The form is empty again for the next one.
    expect(await page.$eval("input[name=name]", (e) => (e as unknown as { value: string }).value)).toBe("");
    await shot(page, "minutes");

    // Edit: the form fills with the package; a save changes what was changed.
    await page.locator(`button[aria-label="Edit package Console hour and a half"]`).click();
    await page.waitForSelector(`xpath///h2[text()='Edit package #${made.id}']`);
    expect(await page.$eval("input[name=price]", (e) => (e as unknown as { value: string }).value)).toBe(
      "45000",
    );
    await fill(page, "input[name=price]", "42000");
    await button(page, "Save package").click();
    await page.waitForSelector("xpath///p[@role='status'][contains(., 'saved')]");
    const edited = (await call<List<Pkg>>("/admin/packages?page_size=100")).results.find(
      (p) => p.id === made.id,
    );
    expect(edited).toMatchObject({ price: 42000, seconds: 5400, name: "Console hour and a half" });

    // Deactivate asks first; Cancel leaves it on sale.
    await page.locator(`button[aria-label="Deactivate package Console hour and a half"]`).click();
    await button(page, "Cancel").click();
    const still = (await call<List<Pkg>>("/admin/packages?is_active=true&page_size=100")).results;
    expect(still.map((p) => p.id)).toContain(made.id);
    await page.locator(`button[aria-label="Deactivate package Console hour and a half"]`).click();
    await button(page, "Take off sale").click();
    await page.waitForSelector("xpath///p[@role='status'][contains(., 'taken off sale')]");
    const off = (await call<List<Pkg>>("/admin/packages?is_active=false&page_size=100")).results;
    expect(off.map((p) => p.id)).toContain(made.id);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 30_000);

  test("promo codes, purchases and a grant of minutes reach the API", async () => {
    const page = await session("admin_1");
    await open(page, "/minutes/promo-codes", "Promo codes");
    await fill(page, "input[name=code]", "console15");
    await fill(page, "input[name=percent_off]", "15");
    await button(page, "Create promo code").click();
    await page.waitForSelector("xpath///td[normalize-space()='CONSOLE15']");
    const promos =
      await call<List<{ code: string; percent_off: number; is_active: boolean }>>("/admin/promo-codes");
    expect(promos.results).toContainEqual(expect.objectContaining({ code: "CONSOLE15", percent_off: 15 }));

    await open(page, "/minutes/purchases", "Purchases");
    await page.select("select[name=status]", "refunded");
    await button(page, "Apply").click();
    const refunded = await call<List<unknown>>("/admin/purchases?status=refunded&page_size=1");
    await pagerSays(page, refunded.count);
    if (refunded.count) expect(new Set(await cells(page, 6))).toEqual(new Set(["refunded"]));

    const client = await login("client_1");
    const me = await call<{ id: number }>("/me", client);
    const balance = async () =>
      (await call<{ remaining_seconds: number }>("/users/me/balance", client)).remaining_seconds;
    const had = await balance();
    await open(page, "/minutes/grant", "Give or take minutes");
    await fill(page, "input[name=user_id]", String(me.id));
    await fill(page, "input[name=seconds]", "600");
    await button(page, "Give minutes").click();
    // No reason: the API refuses it, beside the field, and nothing is given.
    await page.waitForSelector(".field.invalid:has(input[name=reason]) .field-error");
    expect(await balance()).toBe(had);
    await fill(page, "input[name=reason]", "Console test compensation");
    await button(page, "Give minutes").click();
    await page.waitForSelector("xpath///h2[contains(., 'Given: 10 min')]");
    expect(await balance()).toBe(had + 600);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 30_000);

  test("a package purchase refunded from its row: no reason is refused in the dialog, then the unspent share goes back", async () => {
    type Purchase = { id: number; user_id: number; status: string; refunded_at: string | null };
    const [p] = (await call<List<Purchase>>("/admin/purchases?status=succeeded&kind=package&page_size=1"))
      .results;
    expect(p).toBeDefined();
    const page = await session("admin_1");
    await open(page, "/minutes/purchases", "Purchases");
    await fill(page, "input[name=user_id]", String(p!.user_id));
    await page.select("select[name=status]", "succeeded");
    await button(page, "Apply").click();
    await page.locator(`button[aria-label='Refund purchase #${p!.id}']`).click();
    await page.waitForSelector("dialog.action-dialog[open]");
    // No reason: the API's message beside the field, the dialog still open, nothing refunded.
    await button(page, "Refund").click();
    await page.waitForSelector("dialog[open] .field-error");
    await shot(page, "minutes-refund-dialog");
    const refunded = () => call<List<Purchase>>(`/admin/purchases?user_id=${p!.user_id}&status=refunded`);
    expect((await refunded()).count).toBe(0);
    await page.locator("dialog[open] textarea").fill("Console test: the customer asked");
    await page.locator("dialog[open] input[type=checkbox]").click();
    await button(page, "Refund").click();
    await page.waitForSelector(`xpath///p[@role='status'][contains(., 'Purchase #${p!.id} refunded')]`);
    expect(await textOf(page, "p[role=status]")).toContain(
      `to user #${p!.user_id}'s wallet (the unspent share)`,
    );
    expect((await refunded()).results.map((x) => x.id)).toEqual([p!.id]);
    // The list (filtered to succeeded) is read again: the refunded purchase has left it.
    await page.waitForFunction(
      `![...document.querySelectorAll("main tbody tr td:first-child")].some((td) => td.textContent.trim() === "${p!.id}")`,
    );
    await shot(page, "minutes-refund");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 30_000);

  test("settings: a refused value shows the API's message beside it and nothing is saved; a good save sends only the changed keys", async () => {
    type Settings = { values: Record<string, unknown> };
    const before = (await call<Settings>("/admin/system/settings")).values;
    const page = await session("admin_1");
    await open(page, "/settings", "Settings");
    await page.waitForSelector("[data-setting=MAX_ORDER_RETRIES] input[type=number]");
    // Each type has its control.
    expect(await page.$("[data-setting=registration_open] input[type=checkbox]")).not.toBeNull();
    expect(await page.$("[data-setting=backup_cron] input.settings-cron")).not.toBeNull();
    expect(await page.$("[data-setting=payment_settings] textarea")).not.toBeNull();
    expect(await page.$("[data-setting=yookassa_ip_allowlist] textarea")).not.toBeNull();

    await fill(page, "[data-setting=MAX_ORDER_RETRIES] input", "51");
    await fill(page, "[data-setting=usage_block_seconds] input", "20");
    await page.locator("[data-setting=registration_open] input").click();
    await button(page, "Save 3 changes").click();
    const error = await page.waitForSelector("[data-setting=MAX_ORDER_RETRIES] .field-error");
    expect(await error!.evaluate((e) => e.textContent)).toMatch(/<=\s*50/);
    expect(await page.$$(".settings-item .field-error")).toHaveLength(1);
    expect((await call<Settings>("/admin/system/settings")).values).toEqual(before);
    await shot(page, "settings");

    await fill(page, "[data-setting=MAX_ORDER_RETRIES] input", "7");
    await button(page, "Save 3 changes").click();
    await page.waitForSelector("xpath///p[@role='status'][starts-with(., 'Saved')]");
    const now = (await call<Settings>("/admin/system/settings")).values;
    expect(now).toEqual({
      ...before,
      MAX_ORDER_RETRIES: 7,
      usage_block_seconds: 20,
      registration_open: false,
    });
    // The PATCH named only those three keys (the audit log keeps what was sent).
    const audit = await call<List<{ details: { mode: string; values: Record<string, unknown> } }>>(
      "/admin/audit-log?target_type=settings&page_size=1",
    );
    expect(audit.results[0]!.details).toEqual({
      mode: "patch",
      values: { MAX_ORDER_RETRIES: 7, usage_block_seconds: 20, registration_open: false },
    });
    expect(await page.$$(".field-error")).toHaveLength(0);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();

    // At 360 px: one column, nothing wider than the screen.
    const narrow = await session("admin_1", 360);
    await open(narrow, "/settings", "Settings");
    await narrow.waitForSelector("[data-setting=MAX_ORDER_RETRIES] input");
    await fill(narrow, "[data-setting=backup_cron] input", "every night");
    await button(narrow, "Save 1 change").click();
    await narrow.waitForSelector("[data-setting=backup_cron] .field-error");
    expect((await call<Settings>("/admin/system/settings")).values.backup_cron).toBe(before.backup_cron);
    const overflow = await narrow.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    await shot(narrow, "settings-360");
    expect(problemsOf(narrow)).toEqual([]);
    await narrow.browserContext().close();
  }, 30_000);

  test("events and the audit log list the seed's rows; filters narrow them and a bad one is refused beside it", async () => {
    const page = await session("admin_1");
    await open(page, "/events", "Events");
    await page.waitForSelector("main tbody tr td code");
    const all = await call<List<{ id: number }>>("/events?page_size=50");
    expect(await cells(page, 1)).toEqual(all.results.map((e) => String(e.id)));
    await fill(page, "input[name=type]", "order.");
    await button(page, "Apply").click();
    const orders = await call<List<unknown>>("/events?type=order.&page_size=1");
    await pagerSays(page, orders.count);
    expect(orders.count).toBeGreaterThan(0);
    for (const t of await cells(page, 3)) expect(t).toStartWith("order.");
    await fill(page, "input[name=actor_id]", "nobody");
    await button(page, "Apply").click();
    await page.waitForSelector(".field.invalid:has(input[name=actor_id]) .field-error");
    expect(await page.$("main tbody")).toBeNull();
    await fill(page, "input[name=actor_id]", "");
    await button(page, "Apply").click();
    await page.waitForSelector("main tbody tr td code");
    expect(await page.$(".field-error")).toBeNull();
    await shot(page, "events");

    await open(page, "/audit", "Audit log");
    await page.waitForSelector("main tbody tr td code");
    const log = await call<List<{ id: number; action: string }>>("/admin/audit-log?page_size=50");
    expect(log.count).toBeGreaterThan(0);
    expect(await cells(page, 1)).toEqual(log.results.map((e) => String(e.id)));
    expect(await cells(page, 4)).toEqual(log.results.map((e) => e.action));
    await fill(page, "input[name=target_id]", "1");
    await button(page, "Apply").click();
    const refused = await page.waitForSelector(".field.invalid:has(input[name=target_id]) .field-error");
    expect(await refused!.evaluate((e) => e.textContent)).toContain("target_type");
    await fill(page, "input[name=target_id]", "");
    await fill(page, "input[name=target_type]", "order");
    await button(page, "Apply").click();
    const byTarget = await call<List<unknown>>("/admin/audit-log?target_type=order&page_size=1");
    expect(byTarget.count).toBeGreaterThan(0);
    await pagerSays(page, byTarget.count);
    for (const t of await cells(page, 5)) expect(t).toStartWith("order ");
    await shot(page, "audit");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 30_000);

  test("critical errors: the list, a row unfolds to its stack, filters by kind and date; support sees it, not settings or minutes", async () => {
    // Failures no API call can cause on purpose: two rows as the server writes them.
    const db = new Database(join(c.dataDir, "souk.db"));
    db.exec("PRAGMA busy_timeout = 5000");
    const put = db.query(
      `INSERT INTO critical_errors (kind, message, error_name, stack, request_id, method, route, status, job_type, job_id, details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const at = Date.parse("2026-11-30T10:00:00Z");
    put.run(
      "http",
      "cannot read properties of undefined (reading 'price')",
      "TypeError",
      "TypeError: cannot read properties of undefined (reading 'price')\n    at quote (src/modules/marketplace/orders/service.ts:120:18)",
      "7f1c2e9a-console-test",
      "POST",
      "/api/v1/orders/:id/set-price",
      500,
      null,
      null,
      "{}",
      at,
    );
    put.run(
      "job",
      "SMTP connection refused",
      "Error",
      "Error: SMTP connection refused\n    at send (src/mail.ts:40:11)",
      null,
      null,
      null,
      null,
      "email.send",
      4321,
      JSON.stringify({ attempts: 5 }),
      at + 60_000,
    );
    db.close();

    const page = await session("support_1");
    const nav = await page.$$eval("nav[aria-label=Screens] a", (as) => as.map((a) => a.textContent));
    expect(nav).toEqual(expect.arrayContaining(["Events", "Audit log", "Critical errors"]));
    expect(nav).not.toContain("Settings");
    expect(nav).not.toContain("Minutes");
    await open(page, "/errors", "Critical errors");
    await page.waitForSelector("main tbody tr details");
    const support = await login("support_1");
    const list = await call<List<{ id: number }>>("/admin/logs/critical-errors?page_size=25", support);
    expect(list.count).toBe(2);
    expect(await cells(page, 1)).toEqual(list.results.map((e) => String(e.id)));
    await page.locator("xpath///summary[contains(., 'reading')]").click();
    await page.waitForSelector("xpath///pre[contains(., 'service.ts:120:18')]", { visible: true });
    expect(await textOf(page, "main tbody")).toContain("7f1c2e9a-console-test");
    await shot(page, "critical-errors");

    await page.select("select[name=kind]", "job");
    await button(page, "Apply").click();
    await page.waitForFunction(`document.querySelectorAll("main tbody tr").length === 1`);
    expect(await textOf(page, "main tbody")).toContain("email.send");
    await fill(page, "input[name=from]", "12012026");
    await button(page, "Apply").click();
    await page.waitForSelector("xpath///td[contains(., 'No critical errors recorded')]");
    expect(await page.$$(".field-error")).toHaveLength(0);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 30_000);
});
