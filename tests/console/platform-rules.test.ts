import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "puppeteer-core";
import { type Console, DEMO_PASSWORD, open, problemsOf, shot, signIn, startConsole } from "./browser";

// Rules, feature flags and webhooks in a real Chromium against a real server on the demo data set.
let c: Console;
let token: string;

async function call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${c.server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const CONDITIONS = {
  all: [
    { fact: "payload.from", operator: "in", value: ["new", "in_review"] },
    {
      any: [
        { fact: "actor.role", operator: "eq", value: "client" },
        { not: { fact: "payload.reason", operator: "exists" } },
      ],
    },
  ],
};

const textOf = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
const button = (page: Page, text: string) => page.locator(`xpath///button[normalize-space()='${text}']`);

beforeAll(async () => {
  c = await startConsole();
  const res = await fetch(`${c.server.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: "admin_1", password: DEMO_PASSWORD }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

describe("platform screens: rules, flags, webhooks", () => {
  test("a rule: the dry run on a recorded event shows every comparison; the editor adds a condition", async () => {
    const rule = await call<{ id: number }>("POST", "/admin/rules", {
      name: "Early cancellations",
      event_type: "order.cancel",
      conditions: CONDITIONS,
      actions: [{ type: "request_admin_attention", params: { reason: "An order was cancelled early" } }],
    });
    const events = await call<{ results: { id: number; payload: { from: string } }[] }>(
      "GET",
      "/events?type=order.cancel&page_size=1",
    );
    const event = events.results[0]!;

    const page = await signIn(c, "admin_1");
    await open(page, "/rules", "Rules");
    await page.locator(`a[href='#/rules/${rule.id}']`).click();
    await page.waitForFunction(
      `document.querySelector("#page-title")?.textContent === "Early cancellations"`,
    );
    await page.waitForSelector(".rules-leaf");
    // The tree as groups and comparisons: 3 comparisons, 2 nested groups under the root.
    expect(await page.$$eval(".rules-leaf", (l) => l.length)).toBe(3);
    expect(await page.$$eval("fieldset.rules-group", (g) => g.length)).toBe(3);
    await shot(page, "rules");

    await page.locator(".rules-dry-run input[inputmode=numeric]").fill(String(event.id));
    await button(page, "Run dry run").click();
    await page.waitForSelector(".rules-trace tbody tr[data-result]");
    const rows = await page.$$eval(".rules-trace tbody tr", (trs) =>
      trs.map((tr) => ({
        path: tr.querySelector("td code")?.textContent,
        cells: [...tr.querySelectorAll("td")].map((td) => td.textContent),
        result: tr.getAttribute("data-result"),
      })),
    );
    // Every comparison is traced, with the fact's value at that event.
    expect(rows.map((r) => r.path)).toEqual([
      "conditions.all.0",
      "conditions.all.1.any.0",
      "conditions.all.1.any.1.not",
    ]);
    expect(rows[0]!.cells[1]).toBe("payload.from");
    expect(rows[0]!.cells[4]).toBe(JSON.stringify(event.payload.from));
    expect(rows[0]!.result).toBe(String(["new", "in_review"].includes(event.payload.from)));
    expect(await textOf(page, ".rules-verdict")).toMatch(/^(Matched|Not matched)/);
    await shot(page, "rule-dry-run");

    // A made-up event: no order 0, no actor, so every fact but payload.from is missing.
    await page.locator("xpath///label[contains(., 'a sample event')]/input").click();
    await page.locator(".rules-payload").fill('{"from": "new"}');
    await button(page, "Run dry run").click();
    await page.waitForFunction(
      `document.querySelector(".rules-trace tbody tr td:nth-child(5)")?.textContent === '"new"'`,
    );
    expect(await textOf(page, ".rules-verdict")).toContain("Matched");

    // The visual editor: one more comparison on the root group, saved as version 2.
    await page.locator("[data-path=conditions] > .rules-group-buttons button").click();
    await page.locator("[data-path='conditions.all.2'] input[list]").fill("payload.reason");
    await page.select("[data-path='conditions.all.2'] select", "contains");
    await page.locator("[data-path='conditions.all.2'] input:not([list])").fill("expensive");
    await button(page, "Save rule").click();
    await page.waitForFunction(`document.querySelector("[role=status]")?.textContent?.includes("version 2")`);
    const saved = await call<{ version: number; conditions: { all: unknown[] } }>(
      "GET",
      `/admin/rules/${rule.id}`,
    );
    expect(saved.version).toBe(2);
    expect(saved.conditions.all[2]).toEqual({
      fact: "payload.reason",
      operator: "contains",
      value: "expensive",
    });
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 20_000);

  test("bad rule JSON: the API's issue is shown with the node's path and nothing is saved", async () => {
    const rule = await call<{ id: number; version: number }>("POST", "/admin/rules", {
      name: "Refused edit",
      event_type: "order.*",
      conditions: { all: [{ fact: "subject.price", operator: "gte", value: 100000 }] },
      actions: [],
    });
    const page = await signIn(c, "admin_1");
    await open(page, `/rules/${rule.id}`, "Refused edit");
    await button(page, "JSON").click();
    await page
      .locator("textarea.rules-json")
      .fill('{"all": [{"fact": "subject.price", "operator": "bigger", "value": 1}, {"fact": "nope"}]}');
    await button(page, "Save rule").click();
    await page.waitForSelector(".rules-issues");
    const issues = await textOf(page, ".rules-issues");
    expect(issues).toContain("conditions.all.0.operator: unknown operator");
    expect(issues).toContain("conditions.all.1.fact");
    expect(await textOf(page, ".rules-refused")).toContain("Not saved");
    // Back in the visual editor the bad node carries its own message.
    await button(page, "Visual").click();
    expect(await textOf(page, "[data-path='conditions.all.0'] .field-error")).toContain("unknown operator");
    const after = await call<{ version: number; conditions: unknown }>("GET", `/admin/rules/${rule.id}`);
    expect(after.version).toBe(rule.version);
    expect(after.conditions).toEqual({ all: [{ fact: "subject.price", operator: "gte", value: 100000 }] });
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 20_000);

  test("rules at 360 px: the editor wraps, nothing overflows the page", async () => {
    const { results } = await call<{ results: { id: number; name: string }[] }>("GET", "/admin/rules");
    const page = await signIn(c, "admin_1", 360);
    await open(page, `/rules/${results[0]!.id}`, results[0]!.name);
    await page.waitForSelector(".rules-leaf");
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBe(0);
    await shot(page, "rules-360");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 20_000);

  test("a flag's rollout moved with the slider is saved; the list shows it", async () => {
    await call("POST", "/admin/flags", {
      key: "new_checkout",
      description: "The new checkout page",
      enabled: true,
      rollout_percent: 10,
      roles: ["client"],
    });
    const page = await signIn(c, "admin_1");
    await open(page, "/flags", "Feature flags");
    await page.waitForSelector("table");
    expect(await textOf(page, "table")).toContain("rules_engine");
    await page.locator("a[href='#/flags/new_checkout']").click();
    await page.waitForFunction(`document.querySelector("#page-title")?.textContent === "Flag new_checkout"`);
    // The keyboard moves the slider, its number follows.
    await page.waitForSelector("input[type=range]");
    await page.focus("input[type=range]");
    for (let i = 0; i < 30; i++) await page.keyboard.press("ArrowRight");
    expect(await textOf(page, ".flags-percent")).toBe("40 %");
    expect(await page.$eval("input[type=range]", (e) => e.labels?.[0]?.textContent)).toBe(
      "Rollout (% of users)",
    );
    await button(page, "Save flag").click();
    await page.waitForFunction(
      `document.querySelector("[role=status]")?.textContent?.includes("rollout 40")`,
    );
    const flag = await call<{ rollout_percent: number; roles: string[]; enabled: boolean }>(
      "GET",
      "/admin/flags/new_checkout",
    );
    expect(flag).toMatchObject({ rollout_percent: 40, roles: ["client"], enabled: true });
    await shot(page, "flags");
    await open(page, "/flags", "Feature flags");
    await page.waitForFunction(`document.querySelector("table")?.textContent?.includes("40 %")`);
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 20_000);

  test("a webhook endpoint: its secret is shown once after creation, never again", async () => {
    // A receiver on loopback: allowed by the setting for development and tests.
    await call("PATCH", "/admin/system/settings", { webhooks_allow_private_urls: true });
    const page = await signIn(c, "admin_1");
    await open(page, "/webhooks", "Webhooks");
    await button(page, "New endpoint").click();
    await page.locator("input.webhooks-url").fill("http://127.0.0.1:9/souk");
    await page.locator(".webhooks-patterns input").fill("order.*");
    await button(page, "Add").click();
    await page.locator(".webhooks-patterns input").fill("purchase.succeeded");
    await page.keyboard.press("Enter");
    expect(await page.$$eval(".webhooks-patterns li code", (c) => c.map((e) => e.textContent))).toEqual([
      "order.*",
      "purchase.succeeded",
    ]);
    await button(page, "Create endpoint").click();
    await page.waitForSelector("dialog[open] .webhooks-secret code");
    const secret = await textOf(page, "dialog[open] .webhooks-secret code");
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
    await shot(page, "webhooks");
    await button(page, "I have stored it").click();
    await page.waitForFunction(`!document.querySelector("dialog")`);
    expect(await page.content()).not.toContain(secret);

    const list = await call<{ results: { id: number; url: string; event_types: string[] }[] }>(
      "GET",
      "/admin/webhooks",
    );
    const endpoint = list.results.find((e) => e.url === "http://127.0.0.1:9/souk")!;
    expect(endpoint.event_types).toEqual(["order.*", "purchase.succeeded"]);
    expect(JSON.stringify(await call("GET", `/admin/webhooks/${endpoint.id}`))).not.toContain("whsec_");

    // The endpoint's page: no secret; a test ping lands in its delivery log.
    await page.locator(`a[href='#/webhooks/${endpoint.id}']`).click();
    await page.waitForFunction(
      `document.querySelector("#page-title")?.textContent === "Webhook #${endpoint.id}"`,
    );
    expect(await page.content()).not.toContain("whsec_");
    await button(page, "Send test ping").click();
    await page.waitForFunction(
      `document.querySelector(".card table tbody")?.textContent?.includes("webhook.test")`,
    );
    expect(await textOf(page, "[role=status]")).toContain("Test ping queued");
    expect(problemsOf(page)).toEqual([]);
    await page.browserContext().close();
  }, 20_000);
});
