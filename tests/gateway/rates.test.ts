import { describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();
const put = (token: string | undefined, currency: string, body: unknown) =>
  t.call("PUT", `/api/v1/admin/gateway/rates/${currency}`, { token, body });
const auditOf = (currency: string) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, target_type, ip, request_id, details FROM audit_log WHERE action = 'gateway.rate.updated' AND target_id = ? ORDER BY id",
    )
    .all(currency) as {
    actor_id: number;
    target_type: string;
    ip: string | null;
    request_id: string | null;
    details: string;
  }[];
const eventsOf = (currency: string) =>
  t.ctx.sqlite
    .query(
      "SELECT actor_id, payload FROM events WHERE type = 'gateway.rate.updated' AND subject_id = ? ORDER BY id",
    )
    .all(currency) as { actor_id: number; payload: string }[];

describe("PUT /admin/gateway/rates/{currency}", () => {
  test("sets and changes a rate; audited with before and after, one event per change", async () => {
    const admin = await t.user("admin");
    const first = await put(admin.token, "RUB", { rate: 9550 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ currency: "RUB", rate: 9550, updated_at: "2026-11-22T10:00:00.000Z" });
    t.clock.advance(60_000);
    const second = await put(admin.token, "RUB", { rate: 9610 });
    expect(second.body).toEqual({ currency: "RUB", rate: 9610, updated_at: "2026-11-22T10:01:00.000Z" });
    // The same rate again is audited but is no change.
    expect((await put(admin.token, "RUB", { rate: 9610 })).status).toBe(200);

    const audits = auditOf("RUB");
    expect(audits).toHaveLength(3);
    expect(audits[0]).toMatchObject({ actor_id: admin.id, target_type: "gateway_rate" });
    expect(JSON.parse(audits[0]!.details)).toEqual({ currency: "RUB", before: null, after: 9550 });
    expect(JSON.parse(audits[1]!.details)).toEqual({ currency: "RUB", before: 9550, after: 9610 });
    expect(audits[1]!.request_id).toBe(second.headers.get("x-request-id"));
    expect(audits[1]!.ip).toBeString();
    const events = eventsOf("RUB");
    expect(events).toHaveLength(2);
    expect(events[1]!.actor_id).toBe(admin.id);
  });

  test("bad currency codes and rates are 400 and change nothing", async () => {
    const admin = await t.user("admin");
    for (const code of ["rub", "RU", "RUBL", "USDT", "XXQ"]) {
      expectError(await put(admin.token, code, { rate: 100 }), 400, "validation_failed");
    }
    for (const body of [
      { rate: 0 },
      { rate: -5 },
      { rate: 1.5 },
      { rate: "9550" },
      {},
      { rate: 100, extra: 1 },
    ]) {
      expectError(await put(admin.token, "EUR", body), 400, "validation_failed");
    }
    expectError(
      await put(admin.token, "EUR", { rate: Number.MAX_SAFE_INTEGER + 2 }),
      400,
      "validation_failed",
    );
    expect(auditOf("EUR")).toHaveLength(0);
    const list = await t.call("GET", "/api/v1/gateway/rates", { token: admin.token });
    expect(list.body.results.map((r: { currency: string }) => r.currency)).not.toContain("EUR");
  });

  test("only admins set rates", async () => {
    expectError(await put(undefined, "USD", { rate: 9000 }), 401, "unauthenticated");
    for (const role of ["client", "merchant", "trader", "teamlead", "support"] as const) {
      const u = await t.user(role);
      expectError(await put(u.token, "USD", { rate: 9000 }), 403, "forbidden");
    }
    expect(auditOf("USD")).toHaveLength(0);
  });
});

describe("GET /gateway/rates", () => {
  test("every signed-in user reads every rate, by currency", async () => {
    const admin = await t.user("admin");
    await put(admin.token, "KZT", { rate: 51000 });
    await put(admin.token, "AZN", { rate: 170 });
    for (const role of ["client", "merchant", "trader", "teamlead"] as const) {
      const u = await t.user(role);
      const r = await t.call("GET", "/api/v1/gateway/rates", { token: u.token });
      expect(r.status).toBe(200);
      const codes = r.body.results.map((x: { currency: string }) => x.currency);
      expect(codes).toEqual([...codes].sort());
      expect(r.body.results).toContainEqual({ currency: "KZT", rate: 51000, updated_at: expect.any(String) });
      expect(r.body.results).toContainEqual({ currency: "AZN", rate: 170, updated_at: expect.any(String) });
    }
  });

  test("a merchant's key with only its gateway scope reads them; anonymous callers and unrelated keys do not", async () => {
    const merchant = await t.user("merchant");
    const mk = async (scopes: string[]) => {
      const r = await t.call("POST", "/api/v1/me/api-keys", {
        token: merchant.token,
        body: { name: "k", scopes },
      });
      expect(r.status).toBe(201);
      return r.body.key as string;
    };
    const gatewayKey = await mk(["gateway:merchant:*"]);
    expect((await t.call("GET", "/api/v1/gateway/rates", { token: gatewayKey })).status).toBe(200);
    const otherKey = await mk(["balance:read"]);
    expectError(await t.call("GET", "/api/v1/gateway/rates", { token: otherKey }), 403, "forbidden");
    expectError(await t.call("GET", "/api/v1/gateway/rates"), 401, "unauthenticated");
  });
});
