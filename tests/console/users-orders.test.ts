import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "puppeteer-core";
import { type Console, DEMO_PASSWORD, open, problemsOf, shot, signIn, startConsole } from "./browser";

// The users and orders screens in a real Chromium against a real server on the demo data set.
let c: Console;
let admin: string;

beforeAll(async () => {
  c = await startConsole();
  admin = (await login("admin_1")).body.access_token;
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

async function login(name: string) {
  const res = await fetch(`${c.server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: name, password: DEMO_PASSWORD }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function call(method: string, path: string, token = admin, body?: unknown): Promise<any> {
  const res = await fetch(`${c.server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const userNamed = async (username: string) =>
  (await call("GET", `/admin/users?q=${username}`)).results.find((u: any) => u.username === username);

/** Waits until `selector` matches an element whose text contains `text`. */
const waitText = (page: Page, selector: string, text: string) =>
  page.waitForFunction(
    `[...document.querySelectorAll(${JSON.stringify(selector)})].some((e) => e.textContent.includes(${JSON.stringify(text)}))`,
    { timeout: 10_000 },
  );

const button = (page: Page, text: string) => page.locator(`xpath///button[normalize-space()='${text}']`);

describe("users", () => {
  test("an admin finds a user, opens them, bans them (refused at sign-in) and unbans them", async () => {
    const page = await signIn(c, "admin_1");
    await open(page, "/users", "Users");
    await page.locator("input[name=q]").fill("client_3");
    await button(page, "Search").click();
    await waitText(page, "main p[aria-live]", "1 user");
    const row = await page.$$eval("main tbody tr", (rs) => rs.map((r) => r.textContent));
    expect(row).toHaveLength(1);
    expect(row[0]).toContain("client_3@demo.souk.local");
    // The search is in the hash: a reload or Back keeps it.
    expect(await page.evaluate("location.hash")).toBe("#/users?q=client_3");
    await shot(page, "users");

    const u = await userNamed("client_3");
    await page.locator(`main tbody a[href='#/users/${u.id}']`).click();
    await waitText(page, "#page-title", "client_3");
    // The client risk the scoring module keeps, as the API gives it.
    expect(u.risk_score).not.toBeNull();
    await waitText(page, "section[aria-labelledby=user-risk]", u.risk_score.toFixed(1));

    await page.locator("section[aria-labelledby=user-ban] input").fill("Chargeback fraud");
    await button(page, "Ban…").click();
    // Nothing happens before the second click.
    expect((await call("GET", `/admin/users/${u.id}`)).is_banned).toBe(false);
    await button(page, "Yes, ban client_3").click();
    await button(page, "Unban").wait();
    const banned = await call("GET", `/admin/users/${u.id}`);
    expect(banned.is_banned).toBe(true);
    expect(banned.ban_reason).toBe("Chargeback fraud");
    const refused = await login("client_3");
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toBe("account is banned");
    await waitText(page, "section[aria-labelledby=user-profile]", "banned");
    await shot(page, "user-detail");

    await button(page, "Unban").click();
    await button(page, "Ban…").wait();
    expect((await call("GET", `/admin/users/${u.id}`)).is_banned).toBe(false);
    expect((await login("client_3")).status).toBe(200);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  });

  test("a refused grant is said next to its field and changes nothing; a good one is added and removed", async () => {
    const u = await userNamed("support_2");
    const before = (await call("GET", `/admin/users/${u.id}/permissions`)).granted_permissions;
    const page = await signIn(c, "admin_1");
    await open(page, `/users/${u.id}`, "support_2");
    const grant = "section[aria-labelledby=user-grants] input[name=grant]";
    await page.locator(grant).fill("stores:12 read");
    await button(page, "Grant").click();
    await page.waitForSelector("section[aria-labelledby=user-grants] .field-error");
    // The API's message, in the field of the grant, tied to its input.
    const field = await page.$eval(grant, (i) => ({
      error: i.closest(".field")?.querySelector(".field-error")?.textContent,
      describedBy: i.ownerDocument.getElementById(i.getAttribute("aria-describedby") ?? "")?.textContent,
      value: (i as unknown as { value: string }).value,
    }));
    expect(field).toEqual({
      error: "like resource:action, resource:*, resource:{id}:action",
      describedBy: "like resource:action, resource:*, resource:{id}:action",
      value: "stores:12 read",
    });
    expect((await call("GET", `/admin/users/${u.id}/permissions`)).granted_permissions).toEqual(before);

    await page.locator(grant).fill("stores:12:read");
    await button(page, "Grant").click();
    await waitText(page, "ul[aria-label='Granted permissions'] code", "stores:12:read");
    expect((await call("GET", `/admin/users/${u.id}/permissions`)).granted_permissions).toEqual([
      ...before,
      "stores:12:read",
    ]);
    expect(await page.$("section[aria-labelledby=user-grants] .field-error")).toBeNull();
    await page.locator("button[aria-label='Remove stores:12:read']").click();
    await page.waitForFunction(`!document.querySelector("button[aria-label='Remove stores:12:read']")`);
    expect((await call("GET", `/admin/users/${u.id}/permissions`)).granted_permissions).toEqual(before);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  });

  test("readable at 360 px: the list scrolls inside its box, the page does not", async () => {
    const page = await signIn(c, "admin_1", 360);
    await open(page, "/users", "Users");
    await page.waitForSelector("main tbody tr a");
    expect(await page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(360);
    await shot(page, "users-360");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  });
});

describe("orders", () => {
  test("the list filtered by status; an order's timeline and chat; a refused set-status; a dispute resolved", async () => {
    const disputed = await call("GET", "/admin/orders?status=disputed&page_size=100");
    expect(disputed.count).toBeGreaterThan(1);
    // An open dispute over money held in escrow, with a chat: the demo data has some; otherwise
    // its client writes one.
    const held = disputed.results.filter((o: any) => o.escrow_amount > 0);
    let order = null;
    for (const o of held)
      if ((await call("GET", `/orders/${o.id}/messages`)).count > 0) {
        order = o;
        break;
      }
    if (!order) {
      order = held[0];
      const client = await call("GET", `/admin/users/${order.client_id}`);
      const token = (await login(client.username)).body.access_token;
      await call("POST", `/orders/${order.id}/messages`, token, { body: "Where are problems 7-12?" });
    }
    const events = (await call("GET", `/orders/${order.id}/events`)).results;
    const messages = await call("GET", `/orders/${order.id}/messages?page_size=100`);

    const page = await signIn(c, "admin_1");
    await open(page, "/orders", "Orders");
    await page.select("select[name=status]", "disputed");
    await waitText(page, "main p[aria-live]", `${disputed.count} orders`);
    const statuses = await page.$$eval("main tbody .orders-status", (s) => s.map((e) => e.textContent));
    expect(statuses).toEqual(disputed.results.map(() => "disputed"));
    await shot(page, "orders");

    await page.locator(`main tbody a[href='#/orders/${order.id}']`).click();
    await waitText(page, "#page-title", `Order #${order.id}`);
    await page.waitForSelector("ol[aria-label=Messages] li");
    expect(await page.$$eval("ol[aria-label=Timeline] li", (l) => l.map((e) => e.dataset.type))).toEqual(
      events.map((e: any) => e.type),
    );
    const chat = await page.$$eval("ol[aria-label=Messages] li", (l) => l.map((e) => e.textContent));
    expect(chat).toHaveLength(messages.results.length);
    const first = messages.results[0];
    expect(chat[0]).toContain(first.is_deleted ? "deleted" : first.body);
    // Read-only: staff have no box to write in.
    expect(
      await page.$("section[aria-labelledby=order-chat] textarea, section[aria-labelledby=order-chat] input"),
    ).toBeNull();

    // Cancelling would strand the escrow: the API refuses and says why, nothing changes.
    await page.select("select[name=status]", "cancelled");
    await page.locator("input[name=reason]").fill("Duplicate order");
    await button(page, "Set status…").click();
    await button(page, "Yes, set status").click();
    await waitText(page, "section[aria-labelledby=order-set-status] .error", "the order holds escrow");
    expect((await call("GET", `/orders/${order.id}`)).status).toBe("disputed");
    await shot(page, "order-detail");

    // A split that would give the client all of it is refused next to its field.
    await page.select("select[name=outcome]", "split");
    await page.locator("input[name=client_amount]").fill(String(order.escrow_amount));
    await button(page, "Resolve…").click();
    await button(page, "Yes, split").click();
    await waitText(page, "section[aria-labelledby=order-disputes] .field-error", "must be between 1 and");
    expect((await call("GET", `/orders/${order.id}`)).status).toBe("disputed");
    // Released to the expert: the order completes and its timeline says so.
    await page.select("select[name=outcome]", "release");
    await page.locator("input[name=note]").fill("Work delivered as agreed");
    await button(page, "Resolve…").click();
    await button(page, "Yes, release").click();
    await page.waitForSelector("ol[aria-label=Timeline] li[data-type='order.resolve']");
    const after = await call("GET", `/orders/${order.id}`);
    expect(after.status).toBe("completed");
    expect(after.escrow_amount).toBe(0);
    await waitText(page, "section[aria-labelledby=order-disputes]", "resolved (release)");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  });
});
