import { describe, expect, test } from "bun:test";
import {
  platformRevenue,
  providerClearing,
  transfer,
  userAvailable,
  userHeld,
} from "../../src/modules/ledger/service";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();
const move = (from: Parameters<typeof transfer>[2]["from"], to: typeof from, amount: number, key: string) =>
  t.ctx.db.transaction((tx) =>
    transfer(t.ctx, tx, { from, to, amount, kind: "payment", idempotencyKey: key }),
  );

describe("GET /wallet", () => {
  test("available, held and the latest transfers with direction", async () => {
    const u = await t.user();
    move(providerClearing("stripe", "RUB"), userAvailable(u.id, "RUB"), 10_000, "w1");
    move(userAvailable(u.id, "RUB"), userHeld(u.id, "RUB"), 3_000, "w2");
    move(userAvailable(u.id, "RUB"), platformRevenue("RUB"), 1_500, "w3");
    const r = await t.call("GET", "/api/v1/wallet", { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ available: 5_500, held: 3_000, currency: "RUB" });
    expect(r.body.transfers.map((x: any) => [x.amount, x.direction])).toEqual([
      [1_500, "out"],
      [3_000, "out"],
      [10_000, "in"],
    ]);
  });

  test("other currencies are separate; a user never sees another's wallet", async () => {
    const u = await t.user();
    const v = await t.user();
    move(providerClearing("stripe", "USD"), userAvailable(v.id, "USD"), 700, "w4");
    expect((await t.call("GET", "/api/v1/wallet?currency=USD", { token: u.token })).body.available).toBe(0);
    expect((await t.call("GET", "/api/v1/wallet?currency=USD", { token: v.token })).body.available).toBe(700);
    expect((await t.call("GET", "/api/v1/wallet", { token: v.token })).body.available).toBe(0);
  });

  test("bad currency 400, no auth 401", async () => {
    const u = await t.user();
    expectError(
      await t.call("GET", "/api/v1/wallet?currency=rub", { token: u.token }),
      400,
      "validation_failed",
    );
    expectError(await t.call("GET", "/api/v1/wallet"), 401, "unauthenticated");
  });
});
