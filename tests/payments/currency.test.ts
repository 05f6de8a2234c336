import { describe, expect, test } from "bun:test";
import { Currency, isCurrency } from "../../src/lib/currency";
import { expectError } from "../helpers/app";
import { makeSubject } from "../helpers/marketplace";
import { payApp } from "./setup";

const { t } = payApp();

describe("Currency schema", () => {
  test("ISO 4217 codes and USDT pass; invented, lower-case and padded codes fail", () => {
    for (const c of ["RUB", "USD", "EUR", "JPY", "KWD", "USDT"])
      expect(Currency.safeParse(c).success).toBe(true);
    for (const c of ["XYZ", "ABC", "rub", "Rub", " RUB", "RUBX", "US", "", "USDt"])
      expect(Currency.safeParse(c).success).toBe(false);
    expect(isCurrency("XYZ")).toBe(false);
  });
});

describe("every route that takes a currency refuses XYZ", () => {
  test("POST /wallet/topups: XYZ -> 400 at json.currency, nothing written; RUB, USD, EUR -> 201", async () => {
    const u = await t.user();
    const bad = expectError(
      await t.call("POST", "/api/v1/wallet/topups", {
        token: u.token,
        body: { amount: 500, currency: "XYZ", provider: "stripe" },
      }),
      400,
      "validation_failed",
    );
    expect(bad.details.issues[0].path).toBe("json.currency");
    const n = t.ctx.sqlite.query("SELECT count(*) AS n FROM purchases WHERE user_id = ?").get(u.id) as any;
    expect(n.n).toBe(0);
    for (const currency of ["RUB", "USD", "EUR"]) {
      const ok = await t.call("POST", "/api/v1/wallet/topups", {
        token: u.token,
        body: { amount: 500, currency, provider: "stripe" },
      });
      expect(ok.status).toBe(201);
      expect(ok.body.currency).toBe(currency);
    }
  });

  test("GET /wallet?currency=XYZ -> 400; RUB, USD, EUR -> 200", async () => {
    const u = await t.user();
    expectError(
      await t.call("GET", "/api/v1/wallet?currency=XYZ", { token: u.token }),
      400,
      "validation_failed",
    );
    for (const c of ["RUB", "USD", "EUR", "USDT"]) {
      const r = await t.call("GET", `/api/v1/wallet?currency=${c}`, { token: u.token });
      expect(r.status).toBe(200);
      expect(r.body.currency).toBe(c);
    }
  });

  test("POST /admin/packages and /admin/promo-codes: XYZ -> 400", async () => {
    const admin = await t.user("admin");
    const pkg = { name: "Hour", seconds: 3600, price: 1000, validity_days: 30 };
    expectError(
      await t.call("POST", "/api/v1/admin/packages", {
        token: admin.token,
        body: { ...pkg, currency: "XYZ" },
      }),
      400,
      "validation_failed",
    );
    for (const currency of ["RUB", "USD", "EUR"]) {
      const r = await t.call("POST", "/api/v1/admin/packages", {
        token: admin.token,
        body: { ...pkg, currency },
      });
      expect(r.status).toBe(201);
    }
    expectError(
      await t.call("POST", "/api/v1/admin/promo-codes", {
        token: admin.token,
        body: { code: "XYZOFF", amount_off: 100, currency: "XYZ" },
      }),
      400,
      "validation_failed",
    );
  });

  test("orders and the expert dashboard: XYZ -> 400", async () => {
    const client = await t.user();
    const subject = makeSubject(t);
    const order = { title: "Essay", subject_id: subject.id, budget: 1000 };
    expectError(
      await t.call("POST", "/api/v1/orders", { token: client.token, body: { ...order, currency: "XYZ" } }),
      400,
      "validation_failed",
    );
    const ok = await t.call("POST", "/api/v1/orders", {
      token: client.token,
      body: { ...order, currency: "EUR" },
    });
    expect(ok.status).toBe(201);
    const expert = await t.user("expert");
    expectError(
      await t.call("GET", "/api/v1/experts/dashboard/financial-summary?currency=XYZ", {
        token: expert.token,
      }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("GET", "/api/v1/experts/dashboard/transactions?currency=XYZ", { token: expert.token }),
      400,
      "validation_failed",
    );
  });
});
