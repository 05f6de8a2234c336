import { describe, expect, test } from "bun:test";
import { MINUTE } from "../../src/lib/time";
import { expectError, makeTestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

const t = makeTestApp();

async function keyFor(token: string, scopes: string[]) {
  const r = await t.call("POST", "/api/v1/me/api-keys", { token, body: { name: "k", scopes } });
  expect(r.status).toBe(201);
  return r.body.key as string;
}
const getHold = (id: number | string, token?: string, headers: Record<string, string> = {}) =>
  t.call("GET", `/api/v1/usage/holds/${id}`, { token, headers });

describe("GET /usage/holds/{id}", () => {
  test("the owner reads seconds, consumed, remaining, status and expiry as usage draws on it", async () => {
    const u = await t.user();
    grantSeconds(t, u.id, 600);
    const h = await t.call("POST", "/api/v1/usage/holds", {
      token: u.token,
      body: { seconds: 120, ttl_seconds: 900 },
    });
    expect((await getHold(h.body.id, u.token)).body).toEqual({
      id: h.body.id,
      seconds: 120,
      consumed_seconds: 0,
      remaining_seconds: 120,
      status: "open",
      expires_at: "2026-11-22T10:15:00.000Z",
      created_at: "2026-11-22T10:00:00.000Z",
    });
    await t.call("POST", "/api/v1/usage/record", {
      token: u.token,
      body: { id: "r1", seconds: 40, hold_id: h.body.id },
    });
    expect((await getHold(h.body.id, u.token)).body).toMatchObject({
      consumed_seconds: 45,
      remaining_seconds: 75,
      status: "open",
    });
    await t.call("POST", `/api/v1/usage/holds/${h.body.id}/release`, { token: u.token });
    expect((await getHold(h.body.id, u.token)).body).toMatchObject({
      consumed_seconds: 45,
      remaining_seconds: 75,
      status: "released",
    });
  });

  test("a lapsed hold reads as expired", async () => {
    const u = await t.user();
    grantSeconds(t, u.id, 100);
    const h = await t.call("POST", "/api/v1/usage/holds", {
      token: u.token,
      body: { seconds: 30, ttl_seconds: 60 },
    });
    t.clock.advance(MINUTE);
    try {
      expect((await getHold(h.body.id, u.token)).body.status).toBe("expired");
    } finally {
      t.clock.advance(-MINUTE);
    }
  });

  test("a key with usage:write (Screph's: usage:write + balance:read) reads the hold it made", async () => {
    const u = await t.user();
    grantSeconds(t, u.id, 300);
    const key = await keyFor(u.token, ["usage:write", "balance:read"]);
    const h = await t.call("POST", "/api/v1/usage/holds", { token: key, body: { seconds: 60 } });
    expect(h.status).toBe(201);
    const r = await getHold(h.body.id, key);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: h.body.id, seconds: 60, remaining_seconds: 60, status: "open" });
    // usage:read alone also reads; a key with neither is 403.
    expect((await getHold(h.body.id, await keyFor(u.token, ["usage:read"]))).status).toBe(200);
    expectError(await getHold(h.body.id, await keyFor(u.token, ["balance:read"])), 403, "forbidden");
  });

  test("another user's hold is 404 to a token and to a key; unknown 404; bad id 400; no credential 401", async () => {
    const owner = await t.user();
    const other = await t.user();
    grantSeconds(t, owner.id, 100);
    const h = await t.call("POST", "/api/v1/usage/holds", { token: owner.token, body: { seconds: 10 } });
    expectError(await getHold(h.body.id, other.token), 404, "not_found");
    expectError(await getHold(h.body.id, await keyFor(other.token, ["usage:write"])), 404, "not_found");
    expectError(await getHold(999999, owner.token), 404, "not_found");
    expectError(await getHold("abc", owner.token), 400, "validation_failed");
    expectError(await getHold(0, owner.token), 400, "validation_failed");
    expectError(await getHold(h.body.id), 401, "unauthenticated");
  });

  test("a bot key acting as a Telegram user reads that user's hold, not anyone else's", async () => {
    const partner = await t.user("partner");
    const bot = await keyFor(partner.token, ["bot:act_as"]);
    for (const telegram_id of [880001, 880002]) {
      const r = await t.call("POST", "/api/v1/bot/users", { token: bot, body: { telegram_id } });
      expect(r.status).toBe(201);
      grantSeconds(t, r.body.id, 300);
    }
    const asFirst = { "x-act-as-telegram-id": "880001" };
    const asSecond = { "x-act-as-telegram-id": "880002" };
    const h = await t.call("POST", "/api/v1/usage/holds", {
      token: bot,
      headers: asFirst,
      body: { seconds: 90 },
    });
    expect(h.status).toBe(201);
    expect((await getHold(h.body.id, bot, asFirst)).body).toMatchObject({ seconds: 90, status: "open" });
    expectError(await getHold(h.body.id, bot, asSecond), 404, "not_found");
    // Without act-as the key is its owner (the partner), who has no such hold.
    expectError(await getHold(h.body.id, bot), 403, "forbidden");
  });
});
