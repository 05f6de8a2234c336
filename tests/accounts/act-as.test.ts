import { beforeEach, describe, expect, test } from "bun:test";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

let t: TestApp;
let bot: string;
beforeEach(async () => {
  t = makeTestApp();
  const partner = await t.user("partner");
  const made = await t.call("POST", "/api/v1/me/api-keys", {
    token: partner.token,
    body: { name: "bot server", scopes: ["bot:act_as"] },
  });
  bot = made.body.key;
});

const as = (tg: number | string) => ({ token: bot, headers: { "x-act-as-telegram-id": String(tg) } });
const keyCount = () => (t.ctx.sqlite.query("SELECT count(*) AS n FROM api_keys").get() as { n: number }).n;

describe("acting as a user covers product routes, never credentials", () => {
  test("a bot acting as a user cannot create, list or revoke that user's API keys", async () => {
    const u = await t.user("client", { telegramId: 5001 });
    const own = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "mine", scopes: ["balance:read"] },
    });
    const before = keyCount();
    expectError(
      await t.call("POST", "/api/v1/me/api-keys", {
        ...as(5001),
        body: { name: "x", scopes: ["usage:write"] },
      }),
      403,
      "forbidden",
    );
    expectError(await t.call("GET", "/api/v1/me/api-keys", as(5001)), 403, "forbidden");
    expectError(await t.call("DELETE", `/api/v1/me/api-keys/${own.body.id}`, as(5001)), 403, "forbidden");
    expect(keyCount()).toBe(before);
    // Product routes still work.
    expect((await t.call("GET", "/api/v1/users/me/balance", as(5001))).status).toBe(200);
  });

  test("a bot acting as a user cannot change the user's email (where password resets go); other fields it may", async () => {
    await t.user("client", { telegramId: 5002, email: "owner@test.local" });
    expectError(
      await t.call("PATCH", "/api/v1/me", { ...as(5002), body: { email: "attacker@test.local" } }),
      403,
      "forbidden",
    );
    const row = t.ctx.sqlite.query("SELECT email FROM users WHERE telegram_id = 5002").get() as {
      email: string;
    };
    expect(row.email).toBe("owner@test.local");
    expect((await t.call("PATCH", "/api/v1/me", { ...as(5002), body: { bio: "hi" } })).status).toBe(200);
  });

  test.each(["partner", "merchant", "trader", "support", "admin"] as const)(
    "a %s is never an act-as target",
    async (role) => {
      await t.user(role, { telegramId: 5100 });
      expectError(await t.call("GET", "/api/v1/me", as(5100)), 403, "forbidden");
    },
  );

  test("an expert is an act-as target", async () => {
    const e = await t.user("expert", { telegramId: 5200 });
    expect((await t.call("GET", "/api/v1/me", as(5200))).body.id).toBe(e.id);
  });

  // Spaces around a header value are not part of it in HTTP (RFC 9110 §5.5), so " 12" reaches souk as "12".
  test.each(["1e3", "0x1", "1 2", "+12", "012", "1_000", "12abc", "-12"])(
    "X-Act-As-Telegram-Id %p is 400 (a plain decimal id only)",
    async (id) => {
      await t.user("client", { telegramId: 1000 });
      await t.user("client", { telegramId: 12 });
      await t.user("client", { telegramId: 1 });
      const r = await t.call("GET", "/api/v1/me", as(id));
      expect(expectError(r, 400, "validation_failed").details.issues[0].path).toBe(
        "header.x-act-as-telegram-id",
      );
    },
  );
});

describe("POST /bot/users manages end users only", () => {
  test.each(["admin", "support", "partner", "merchant"] as const)(
    "a %s linked to the Telegram id is not renamed (403, nothing changes)",
    async (role) => {
      const staff = await t.user(role, { telegramId: 6001, firstName: "Real" });
      const r = await t.call("POST", "/api/v1/bot/users", {
        token: bot,
        body: { telegram_id: 6001, first_name: "Hacked", username: "hacked" },
      });
      expectError(r, 403, "forbidden");
      const row = t.ctx.sqlite.query("SELECT first_name, username FROM users WHERE id = ?").get(staff.id) as {
        first_name: string;
        username: string;
      };
      expect(row).toEqual({ first_name: "Real", username: staff.username! });
    },
  );

  test("a client is still upserted and renamed", async () => {
    await t.user("client", { telegramId: 6002, firstName: "Old" });
    const r = await t.call("POST", "/api/v1/bot/users", {
      token: bot,
      body: { telegram_id: 6002, first_name: "New" },
    });
    expect(r.status).toBe(200);
    expect(r.body.first_name).toBe("New");
  });
});
