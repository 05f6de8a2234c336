import { expect, test } from "bun:test";
import { expectError } from "../helpers/app";
import { addPackage, count, payApp, payWithYooKassa, sendStripe } from "./setup";

/**
 * The Telegram bot's whole purchase flow (DESIGN.md §4, §6): its server holds an admin-made key
 * with `bot:act_as`, upserts the user by Telegram id, lists packages, buys as that user with
 * `X-Act-As-Telegram-Id`, Stripe calls the webhook, and the user's balance shows the grant.
 */
const env = payApp();
const { t, stripe } = env;

test("bot: upsert user -> packages -> purchase (stripe) -> signed webhook -> balance shows the grant", async () => {
  const admin = await t.user("admin");
  const key = await t.call("POST", "/api/v1/me/api-keys", {
    token: admin.token,
    body: { name: "telegram bot", scopes: ["bot:act_as"] },
  });
  expect(key.status).toBe(201);
  const botKey: string = key.body.key;

  const tgId = 5_550_001;
  const upsert = await t.call("POST", "/api/v1/bot/users", {
    token: botKey,
    body: { telegram_id: tgId, username: "minute_buyer", first_name: "Mina" },
  });
  expect(upsert.status).toBe(201);
  expect(upsert.body).toMatchObject({ telegram_id: tgId, role: "client" });
  const asUser = { "x-act-as-telegram-id": String(tgId) };

  const pkg = addPackage(t, { name: "Starter: 60 minutes", seconds: 3600, price: 49000, validityDays: 30 });
  addPackage(t, { name: "Retired", isActive: false });
  // GET /packages is the billing module's public list; the bot reads it like anyone.
  const list = await t.call("GET", "/api/packages/");
  expect(list.status).toBe(200);
  const listed = list.body.results.find((p: any) => p.id === pkg.id);
  expect(listed).toMatchObject({
    name: "Starter: 60 minutes",
    seconds: 3600,
    minutes: 60,
    price: 49000,
    currency: "RUB",
    validity_days: 30,
  });
  expect(list.body.results.some((p: any) => p.name === "Retired")).toBe(false);

  const buy = await t.call("POST", "/api/v1/purchases", {
    token: botKey,
    headers: asUser,
    body: { package_id: listed.id, provider: "stripe" },
  });
  expect(buy.status).toBe(201);
  expect(buy.body).toMatchObject({
    status: "pending",
    amount: 49000,
    currency: "RUB",
    provider: "stripe",
    package_id: pkg.id,
  });
  expect(buy.body.confirmation_url).toStartWith(stripe.url);
  // The purchase belongs to the Telegram user, not to the key's owner.
  const owner = t.ctx.sqlite.query("SELECT user_id FROM purchases WHERE id = ?").get(buy.body.id) as any;
  expect(owner.user_id).toBe(upsert.body.id);

  // Before payment: nothing to spend.
  const before = await t.call("GET", "/api/users/me/balance/", { token: botKey, headers: asUser });
  expect(before.body.remaining_seconds).toBe(0);

  t.clock.advance(90_000); // the user pays 90 s later
  const session = stripe.sessionOf(buy.body.id);
  const hook = await sendStripe(t, stripe.event("checkout.session.completed", session.id));
  expect(hook.status).toBe(200);
  expect(hook.body.outcome).toBe("succeeded");

  const bal = await t.call("GET", "/api/users/me/balance/", { token: botKey, headers: asUser });
  expect(bal.status).toBe(200);
  expect(bal.body).toMatchObject({ remaining_seconds: 3600, remaining_minutes: 60, held_seconds: 0 });
  expect(bal.body.grants).toEqual([
    {
      id: expect.any(Number),
      package_id: pkg.id,
      remaining_seconds: 3600,
      total_seconds: 3600,
      purchased_at: "2026-11-22T10:01:30.000Z",
      expires_at: "2026-12-22T10:01:30.000Z",
      status: "active",
    },
  ]);
  const mine = await t.call("GET", `/api/v1/purchases/${buy.body.id}`, { token: botKey, headers: asUser });
  expect(mine.body).toMatchObject({ status: "succeeded", paid_at: "2026-11-22T10:01:30.000Z" });

  // The user has a Telegram id: the payment notice is queued for Telegram delivery.
  const job = t.ctx.sqlite.query("SELECT payload FROM jobs WHERE type = 'telegram.send'").get() as any;
  expect(JSON.parse(job.payload)).toMatchObject({ chat_id: tgId });
  expect(JSON.parse(job.payload).text).toContain("Payment received");

  // The key's owner got nothing; another Telegram user cannot see the purchase.
  const adminBal = await t.call("GET", "/api/v1/users/me/balance", { token: admin.token });
  expect(adminBal.body.remaining_seconds).toBe(0);
  await t.call("POST", "/api/v1/bot/users", { token: botKey, body: { telegram_id: tgId + 1 } });
  expectError(
    await t.call("GET", `/api/v1/purchases/${buy.body.id}`, {
      token: botKey,
      headers: { "x-act-as-telegram-id": String(tgId + 1) },
    }),
    404,
    "not_found",
  );
  t.clock.advance(-90_000);
});

test("bot: the same flow through YooKassa and a wallet top-up", async () => {
  const admin = await t.user("admin");
  const botKey = (
    await t.call("POST", "/api/v1/me/api-keys", {
      token: admin.token,
      body: { name: "bot", scopes: ["bot:act_as"] },
    })
  ).body.key as string;
  const tgId = 5_550_101;
  await t.call("POST", "/api/v1/bot/users", { token: botKey, body: { telegram_id: tgId } });
  const asUser = { "x-act-as-telegram-id": String(tgId) };
  const pkg = addPackage(t, { seconds: 600, price: 9900 });
  const buy = await t.call("POST", "/api/v1/purchases", {
    token: botKey,
    headers: asUser,
    body: { package_id: pkg.id, provider: "yookassa" },
  });
  expect(buy.status).toBe(201);
  expect((await payWithYooKassa(env, buy.body.id)).body.outcome).toBe("succeeded");
  const top = await t.call("POST", "/api/v1/wallet/topups", {
    token: botKey,
    headers: asUser,
    body: { amount: 20000, provider: "yookassa" },
  });
  expect(top.status).toBe(201);
  expect((await payWithYooKassa(env, top.body.id)).body.outcome).toBe("succeeded");
  const bal = await t.call("GET", "/api/v1/users/me/balance", { token: botKey, headers: asUser });
  expect(bal.body.remaining_seconds).toBe(600);
  expect(bal.body.wallet.available).toBe(20000);
  expect(count(t, "SELECT count(*) AS n FROM jobs WHERE type = 'telegram.send'")).toBeGreaterThanOrEqual(3);
});

test("bot: acting as an unknown Telegram id -> 404; a key without bot:act_as -> 403", async () => {
  const admin = await t.user("admin");
  const botKey = (
    await t.call("POST", "/api/v1/me/api-keys", {
      token: admin.token,
      body: { name: "bot", scopes: ["bot:act_as"] },
    })
  ).body.key as string;
  const pkg = addPackage(t);
  expectError(
    await t.call("POST", "/api/v1/purchases", {
      token: botKey,
      headers: { "x-act-as-telegram-id": "999999991" },
      body: { package_id: pkg.id, provider: "stripe" },
    }),
    404,
    "not_found",
  );
  const plain = (
    await t.call("POST", "/api/v1/me/api-keys", {
      token: admin.token,
      body: { name: "plain", scopes: ["purchases:*"] },
    })
  ).body.key as string;
  await t.call("POST", "/api/v1/bot/users", { token: botKey, body: { telegram_id: 5_550_201 } });
  expectError(
    await t.call("POST", "/api/v1/purchases", {
      token: plain,
      headers: { "x-act-as-telegram-id": "5550201" },
      body: { package_id: pkg.id, provider: "stripe" },
    }),
    403,
    "forbidden",
  );
});
