import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "puppeteer-core";
import { type Console, DEMO_PASSWORD, open, problemsOf, shot, signIn, startConsole } from "./browser";

// The gateway screens in a real Chromium against a real server on the demo data set, driven as
// support_1 and admin_1 would; every effect is checked through the API.
let c: Console;
const tokens = new Map<string, string>();

async function token(username: string): Promise<string> {
  const known = tokens.get(username);
  if (known) return known;
  const res = await fetch(`${c.server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: username, password: DEMO_PASSWORD }),
  });
  const t = ((await res.json()) as { access_token: string }).access_token;
  tokens.set(username, t);
  return t;
}

async function call(username: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${c.server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${await token(username)}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // `http` is the answer's status; `status` stays the resource's own field.
  return { http: res.status, ...((await res.json()) as object) };
}

const requisite = (details: string) => ({
  payment_method: "card",
  bank: "Alfa",
  details,
  owner_name: "TRADER 1",
  min_amount: 10_000,
  max_amount: 1_000_000,
  daily_limit: 10_000_000,
  daily_count_limit: 20,
  currency: "RUB",
});

const payin = (client_order_id: string, payment_method: string, amount = 150_000) =>
  call("merchant_1", "POST", "/gateway/payin", {
    store_id: 1,
    amount,
    currency: "RUB",
    client_order_id,
    customer_id: "console-customer",
    payment_method,
  });

const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (els) => els.map((e) => e.textContent?.trim() ?? ""));

/** Sets a control's value as typing would (fill("") leaves it unchanged), so Preact sees the input. */
async function setValue(page: Page, selector: string, value: string) {
  const el = await page.waitForSelector(selector);
  await el!.evaluate((e, v) => {
    Object.assign(e, { value: v });
    e.dispatchEvent(new Event("input", { bubbles: true }));
  }, value);
}

/** Waits for a condition on the page (an expression): a miss fails in 10 s at its own step. */
const until = (page: Page, expression: string) =>
  page.waitForFunction(expression, { polling: 50, timeout: 10_000 });
const gone = (page: Page, selector: string) =>
  until(page, `!document.querySelector(${JSON.stringify(selector)})`);
const rowsAre = (page: Page, n: number) =>
  until(page, `document.querySelectorAll("main tbody tr").length === ${n}`);

const close = (page: Page) => page.browserContext().close();

beforeAll(async () => {
  c = await startConsole();
  // Callbacks to a local address, so orders of the demo store have deliveries to show.
  expect(
    (await call("admin_1", "PATCH", "/admin/system/settings", { webhooks_allow_private_urls: true })).http,
  ).toBe(200);
  expect(
    (await call("merchant_1", "PATCH", "/merchant/stores/1", { callback_url: "http://127.0.0.1:9/souk" }))
      .http,
  ).toBe(200);
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

// A browser test takes seconds; each one has room for a slow shared machine.
describe("the gateway console", () => {
  test("support approves a pending requisite; a block needs a reason the API accepts, in a dialog", async () => {
    const first = await call("trader_1", "POST", "/trader/requisites", requisite("2200 1500 0000 0042"));
    const second = await call("trader_1", "POST", "/trader/requisites", requisite("2200 1500 0000 0043"));
    expect([first.http, second.http, first.status, second.status]).toEqual([201, 201, "pending", "pending"]);

    const page = await signIn(c, "support_1");
    await open(page, "/gateway/requisites", "Requisite queue");
    await page.waitForSelector(`xpath///td[contains(., '2200 1500 0000 0043')]`);
    const rows = await texts(page, "main tbody tr");
    expect(rows.some((r) => r.includes("trader_1") && r.includes("2200 1500 0000 0042"))).toBe(true);
    await shot(page, "gateway-requisites");

    // Approve: the row leaves the queue as it reloads, and the API has it approved.
    await page.locator(`button[aria-label='Approve requisite #${first.id}']`).click();
    await gone(page, `button[aria-label='Approve requisite #${first.id}']`);
    expect(await page.$eval("[role=status]", (e) => e.textContent)).toContain(`#${first.id}`);
    expect((await call("trader_1", "GET", `/trader/requisites/${first.id}`)).status).toBe("approved");

    // Block: a dialog; a reason the API refuses (too long) shows next to the field and changes nothing.
    await page.locator(`button[aria-label='Block requisite #${second.id}']`).click();
    await page.waitForSelector("dialog[open] textarea");
    await setValue(page, "dialog[open] textarea", "x".repeat(600));
    await page.locator("xpath///dialog//button[text()='Block requisite']").click();
    const refused = await page.waitForSelector("dialog[open] .field-error");
    expect(await refused!.evaluate((e) => e.textContent)).toMatch(/500|too big|long/i);
    expect((await call("trader_1", "GET", `/trader/requisites/${second.id}`)).status).toBe("pending");
    await setValue(page, "dialog[open] textarea", "");
    await page.locator("dialog[open] textarea").fill("The owner name does not match the card");
    await page.locator("xpath///dialog//button[text()='Block requisite']").click();
    await gone(page, "dialog[open]");
    await gone(page, `button[aria-label='Block requisite #${second.id}']`);
    expect((await call("trader_1", "GET", `/trader/requisites/${second.id}`)).status).toBe("blocked");
    const audit = await call(
      "support_1",
      "GET",
      `/admin/audit-log?target_type=gateway_requisite&target_id=${second.id}`,
    );
    expect(audit.results[0].details.reason).toBe("The owner name does not match the card");
    expect(problemsOf(page)).toEqual([]);
    await close(page);
  }, 20_000);

  test("support filters gateway orders and opens one: its selection log, callbacks and history", async () => {
    // sbp: routed to trader_1's phone, the cards passed over; account: no requisite at all.
    const routed = await payin("console-sbp-1", "sbp");
    await payin("console-sbp-2", "sbp", 420_000);
    const stuck = await payin("console-account-1", "account");
    expect(routed.status).toBe("assigned");
    expect(stuck.status).toBe("retrying");

    const page = await signIn(c, "support_1");
    await open(page, "/gateway/orders", "Gateway orders");
    await page.waitForSelector(`a[href='#/gateway/orders/${stuck.id}']`);
    await shot(page, "gateway-orders");

    // A filter the API refuses: its message next to the field, and no list.
    await page.locator("xpath///label[text()='Amount from']/following-sibling::input").fill("-5");
    await page.locator("xpath///button[text()='Apply filters']").click();
    const bad = await page.waitForSelector(".gw-filters .field-error");
    expect(await bad!.evaluate((e) => e.textContent)).toContain("Too small");

    // Status retrying, and the client order id: exactly the stuck order.
    await setValue(page, "xpath///label[text()='Amount from']/following-sibling::input", "");
    await page.select("xpath///label[text()='Status']/following-sibling::select", "retrying");
    await page.locator("xpath///button[text()='Apply filters']").click();
    await gone(page, ".gw-filters .field-error");
    const retrying = await call("support_1", "GET", "/support/gateway/orders?status=retrying&page_size=100");
    await rowsAre(page, retrying.results.length);
    const statuses = await texts(page, "main tbody tr td:nth-child(4)");
    expect(new Set(statuses)).toEqual(new Set(["retrying"]));
    expect(page.url()).toContain("status=retrying");
    await page
      .locator("xpath///label[text()='Client order id']/following-sibling::input")
      .fill("console-account-1");
    await page.locator("xpath///button[text()='Apply filters']").click();
    await rowsAre(page, 1);
    await page.waitForSelector(`main tbody a[href='#/gateway/orders/${stuck.id}']`);

    // The routed order's page: the log's counts and reasons as the API has them.
    await open(page, `/gateway/orders/${routed.id}`, `Gateway order #${routed.id}`);
    await page.waitForSelector(".gw-attempts li[data-attempt='1']");
    const api = await call("support_1", "GET", `/gateway/orders/${routed.id}`);
    const attempt = api.selection_log[0];
    expect(attempt.chosen).not.toBeNull();
    const counts = await texts(page, ".gw-attempts li[data-attempt='1'] .gw-counts dd");
    expect(counts[0]).toBe(String(attempt.considered));
    expect(counts[2]).toContain(`requisite #${attempt.chosen.requisite_id}`);
    const reasonRows = await texts(page, ".gw-reasons tbody tr");
    expect(reasonRows).toHaveLength(Object.keys(attempt.rejected_counts).length);
    expect(attempt.rejected_counts.payment_method).toBeGreaterThan(0);
    expect(await page.$eval(".gw-reasons tr[data-reason=payment_method] td.num", (e) => e.textContent)).toBe(
      String(attempt.rejected_counts.payment_method),
    );
    // Callbacks and history, as the API lists them.
    const callbacks = await call("support_1", "GET", `/gateway/orders/${routed.id}/callbacks`);
    expect(callbacks.count).toBeGreaterThan(0);
    const cbRows = await texts(page, "section[aria-labelledby=gw-callbacks] tbody tr");
    expect(cbRows).toHaveLength(callbacks.count);
    expect(cbRows[0]).toContain("gateway.order.assigned");
    await page.waitForSelector("section[aria-labelledby=gw-history] tbody tr");
    const history = await texts(page, "section[aria-labelledby=gw-history] tbody tr");
    expect(history[0]).toContain("gateway.order.new");
    expect(history.at(-1)).toContain("gateway.order.assigned");
    await shot(page, "gateway-order-detail");

    // The stuck one: nothing chosen, every candidate turned away by its method.
    await open(page, `/gateway/orders/${stuck.id}`, `Gateway order #${stuck.id}`);
    await page.waitForSelector(".gw-attempts li[data-attempt='1']");
    expect(await page.$eval(".gw-attempts .gw-counts", (e) => e.textContent)).toContain("none");
    expect(problemsOf(page)).toEqual([]);
    await close(page);
  }, 20_000);

  test("support downloads the receipt a customer sent with their confirmation, as it was uploaded", async () => {
    const order = await payin("console-receipt-1", "sbp");
    expect(order.status).toBe("assigned");
    // The smallest PNG there is, sent by the merchant with the customer's confirmation.
    const png = Uint8Array.from(
      atob(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      ),
      (ch) => ch.charCodeAt(0),
    );
    const form = new FormData();
    form.set("receipt", new File([png], "paid.png", { type: "image/png" }));
    const confirmed = await fetch(`${c.server.url}/api/v1/gateway/payin/confirm/${order.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token("merchant_1")}` },
      body: form,
    });
    expect(confirmed.status).toBe(200);

    const page = await signIn(c, "support_1");
    // What the page hands the browser to save: the blob's bytes and the name.
    // (A string: these tests are typed without the DOM.)
    await page.evaluate(`
      window.saved = [];
      const blobs = new Map();
      const createObjectURL = URL.createObjectURL;
      URL.createObjectURL = (blob) => {
        const href = createObjectURL(blob);
        blobs.set(href, blob);
        return href;
      };
      HTMLAnchorElement.prototype.click = function () {
        const name = this.download;
        blobs.get(this.href).arrayBuffer().then((b) => window.saved.push({ name, bytes: [...new Uint8Array(b)] }));
      };
    `);
    await open(page, `/gateway/orders/${order.id}`, `Gateway order #${order.id}`);
    const button = await page.waitForSelector(".gw-receipts button[data-receipt=customer]");
    expect(await button!.evaluate((e) => e.textContent)).toBe("Customer's receipt");
    expect(await page.$$(".gw-receipts button")).toHaveLength(1);
    await button!.click();
    await until(page, "window.saved.length === 1");
    const saved = (await page.evaluate("window.saved")) as { name: string; bytes: number[] }[];
    expect(saved[0]!.name).toBe("paid.png");
    expect(saved[0]!.bytes).toEqual([...png]);
    await shot(page, "gateway-order-receipt");
    expect(problemsOf(page)).toEqual([]);
    await close(page);
  }, 20_000);

  test("support denies an order held for fraud review: a dialog, the reason kept, the order failed", async () => {
    // Above fraud_review_amount (2,000 USDT): held for support.
    const held = await payin("console-review-1", "card", 20_000_000);
    expect(held.status).toBe("review");
    const page = await signIn(c, "support_1");
    await open(page, `/gateway/orders/${held.id}`, `Gateway order #${held.id}`);
    await page.waitForSelector(".gw-decide");
    expect(await page.$eval("main", (m) => m.textContent)).toContain("Fraud check: review");
    // Cancel leaves it as it was.
    await page.locator("xpath///button[text()='Deny: fail the order…']").click();
    await page.waitForSelector("dialog[open]");
    await page.locator("xpath///dialog//button[text()='Cancel']").click();
    await gone(page, "dialog[open]");
    expect((await call("support_1", "GET", `/gateway/orders/${held.id}`)).status).toBe("review");

    await page.locator("xpath///button[text()='Deny: fail the order…']").click();
    await page.locator("dialog[open] textarea").fill("Card owner unknown to the store");
    await page.locator("xpath///dialog//button[text()='Deny: fail the order']").click();
    await gone(page, ".gw-decide");
    const after = await call("support_1", "GET", `/gateway/orders/${held.id}`);
    expect(after.status).toBe("failed");
    // The history reloads after the order does: wait for the new event rather than race it.
    await page.waitForFunction(
      `[...document.querySelectorAll("section[aria-labelledby=gw-history] tbody tr")].at(-1)?.textContent.includes("gateway.order.failed")`,
    );
    const history = await texts(page, "section[aria-labelledby=gw-history] tbody tr");
    expect(history.at(-1)).toContain("gateway.order.failed");
    expect(history.at(-1)).toContain("Card owner unknown to the store");
    expect(problemsOf(page)).toEqual([]);
    await close(page);
  }, 20_000);

  test("admin switches a trader's traffic off and on, and changes their priority (a refused value first)", async () => {
    const page = await signIn(c, "admin_1");
    await open(page, "/gateway/traders", "Traders");
    const traffic = "button[aria-label='Traffic: trader_3']";
    await page.waitForSelector(`${traffic}[aria-pressed=true]`);
    const id = (await call("admin_1", "GET", "/admin/gateway/traders")).results.find(
      (t: { username: string }) => t.username === "trader_3",
    ).id;
    await page.locator(traffic).click();
    await page.waitForSelector(`${traffic}[aria-pressed=false]`);
    expect((await call("admin_1", "GET", `/admin/gateway/traders/${id}`)).traffic_enabled).toBe(false);
    await shot(page, "gateway-traders");
    await page.locator(traffic).click();
    await page.waitForSelector(`${traffic}[aria-pressed=true]`);
    expect((await call("admin_1", "GET", `/admin/gateway/traders/${id}`)).traffic_enabled).toBe(true);

    await page.locator("button[aria-label='Edit trader_3']").click();
    const priority = "xpath///dialog//label[text()='Priority']/following-sibling::input";
    await page.locator(priority).fill("-1");
    await page.locator("xpath///dialog//button[text()='Save']").click();
    await page.waitForSelector("dialog[open] .field-error");
    expect((await call("admin_1", "GET", `/admin/gateway/traders/${id}`)).priority).toBe(3);
    await page.locator(priority).fill("7");
    await page.locator("xpath///dialog//button[text()='Save']").click();
    await gone(page, "dialog[open]");
    expect((await call("admin_1", "GET", `/admin/gateway/traders/${id}`)).priority).toBe(7);
    await until(page, `document.querySelector("[role=status]")?.textContent.includes("priority 7")`);
    expect(problemsOf(page)).toEqual([]);
    await close(page);
  }, 20_000);

  test("admin reads the platform balance: the API's figures, and the books sum to zero", async () => {
    // A completed pay-in, so the platform has earned its share of the commission.
    const order = (await call("support_1", "GET", "/support/gateway/orders?client_order_id=console-sbp-2"))
      .results[0];
    expect((await call("trader_1", "POST", `/trader/orders/${order.id}/confirm`, {})).status).toBe(
      "completed",
    );
    const page = await signIn(c, "admin_1");
    await open(page, "/gateway/balance", "Platform balance");
    await page.waitForSelector("[data-books]");
    const api = await call("admin_1", "GET", "/admin/gateway/platform-balance");
    const figures = await texts(page, ".gw-balance dd");
    const usdt = (micro: number) =>
      `${(micro / 1e6).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 6 })} USDT`;
    const revenue = api.revenue.find((r: { currency: string }) => r.currency === "USDT").amount;
    expect(revenue).toBeGreaterThan(0);
    expect(figures[0]).toBe(usdt(revenue));
    expect(figures[3]).toBe(usdt(api.traders.available));
    expect(figures[5]).toBe(usdt(api.clearing.balance));
    expect(await page.$eval("[data-books]", (e) => e.getAttribute("data-books"))).toBe("balanced");
    expect(await page.$eval("main", (m) => m.textContent)).toContain("RUB");
    expect(problemsOf(page)).toEqual([]);
    await shot(page, "gateway-balance");
    await close(page);
  }, 20_000);

  test("support sees the gateway screens support may use and none of the admins'; readable at 360 px", async () => {
    const page = await signIn(c, "support_1", 360);
    const nav = await texts(page, "nav[aria-label=Screens] a");
    for (const title of ["Requisite queue", "Gateway orders", "Online requisites"])
      expect(nav).toContain(title);
    for (const title of ["Traders", "Platform balance", "Settings", "Minutes"])
      expect(nav).not.toContain(title);
    // An admin's screen asked for by its address is not shown; the API refuses support too.
    await page.evaluate(`location.hash = "/gateway/balance"`);
    await until(page, `!location.hash.startsWith("#/gateway/balance")`);
    expect(await page.$eval("#page-title", (e) => e.textContent)).not.toBe("Platform balance");
    expect((await call("support_1", "GET", "/admin/gateway/platform-balance")).http).toBe(403);

    await open(page, "/gateway/online", "Online requisites");
    await page.waitForSelector("main tbody tr td code");
    const online = await call("support_1", "GET", "/admin/requisites/online?page_size=25");
    expect(await page.$$eval("main tbody tr", (r) => r.length)).toBe(online.results.length);

    const order = (await call("support_1", "GET", "/support/gateway/orders?client_order_id=console-sbp-1"))
      .results[0];
    await open(page, `/gateway/orders/${order.id}`, `Gateway order #${order.id}`);
    await page.waitForSelector(".gw-attempts li");
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    expect(problemsOf(page)).toEqual([]);
    await shot(page, "gateway-360");
    await close(page);

    const admin = await signIn(c, "admin_1");
    const all = await texts(admin, "nav[aria-label=Screens] a");
    for (const title of [
      "Requisite queue",
      "Gateway orders",
      "Online requisites",
      "Traders",
      "Platform balance",
    ])
      expect(all).toContain(title);
    await close(admin);
  }, 20_000);
});
