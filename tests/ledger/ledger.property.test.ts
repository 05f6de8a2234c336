import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ApiError } from "../../src/lib/errors";
import {
  type AccountRef,
  balanceOf,
  platformRevenue,
  providerClearing,
  transfer,
  userAvailable,
  userHeld,
} from "../../src/modules/ledger/service";
import { makeTestApp } from "../helpers/app";

const t = makeTestApp();

const accounts = (c: string): AccountRef[] => [
  providerClearing("stripe", c),
  providerClearing("yookassa", c),
  platformRevenue(c),
  userAvailable(1, c),
  userHeld(1, c),
  userAvailable(2, c),
  userHeld(2, c),
];

const op = fc.record({
  from: fc.nat(6),
  to: fc.nat(6),
  amount: fc.integer({ min: 1, max: 50_000 }),
  currency: fc.constantFrom("RUB", "USD"),
  key: fc.integer({ min: 0, max: 40 }),
});

function sums() {
  return t.ctx.sqlite
    .query("SELECT currency, SUM(balance) AS s FROM ledger_accounts GROUP BY currency")
    .all() as { currency: string; s: number }[];
}

describe("ledger invariants", () => {
  test("any sequence of transfers: balances sum to 0 per currency, user accounts never negative, keys apply once", () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        run++;
        const seen = new Map<string, string>();
        for (const o of ops) {
          if (o.from === o.to) continue;
          const acc = accounts(o.currency);
          const key = `r${run}:k${o.key}`;
          const terms = `${o.from}>${o.to}:${o.amount}:${o.currency}`;
          try {
            const r = t.ctx.db.transaction(
              (tx) =>
                transfer(t.ctx, tx, {
                  from: acc[o.from]!,
                  to: acc[o.to]!,
                  amount: o.amount,
                  kind: "adjustment",
                  idempotencyKey: key,
                }),
              { behavior: "immediate" },
            );
            if (seen.has(key)) {
              expect(r.applied).toBe(false);
              expect(seen.get(key)).toBe(terms);
            } else {
              expect(r.applied).toBe(true);
              seen.set(key, terms);
            }
          } catch (e) {
            if (!(e instanceof ApiError)) throw e;
            // insufficient funds (nothing applied) or a key reused with other terms
            expect(["insufficient_funds", "conflict"]).toContain(e.code);
            if (e.code === "conflict") expect(seen.get(key)).not.toBe(terms);
          }
        }
        for (const { s } of sums()) expect(s).toBe(0);
        const negatives = t.ctx.sqlite
          .query("SELECT count(*) AS n FROM ledger_accounts WHERE owner_type = 'user' AND balance < 0")
          .get() as { n: number };
        expect(negatives.n).toBe(0);
        // The cached balance equals the transfers it summarises.
        const drift = t.ctx.sqlite
          .query(
            `SELECT count(*) AS n FROM ledger_accounts a WHERE a.balance !=
               COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE credit_account_id = a.id), 0)
             - COALESCE((SELECT SUM(amount) FROM ledger_transfers WHERE debit_account_id = a.id), 0)`,
          )
          .get() as { n: number };
        expect(drift.n).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  test("an overdraft is refused with insufficient_funds and changes nothing", () => {
    const from = userAvailable(99, "EUR");
    const to = platformRevenue("EUR");
    expect(() =>
      t.ctx.db.transaction((tx) =>
        transfer(t.ctx, tx, { from, to, amount: 1, kind: "payment", idempotencyKey: "od" }),
      ),
    ).toThrow(ApiError);
    expect(balanceOf(t.ctx.db, from)).toBe(0);
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM ledger_transfers WHERE idempotency_key = 'od'").get(),
    ).toEqual({ n: 0 });
  });

  test("non-integer or non-positive amounts are programming errors", () => {
    for (const amount of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        t.ctx.db.transaction((tx) =>
          transfer(t.ctx, tx, {
            from: providerClearing("x", "RUB"),
            to: userAvailable(1, "RUB"),
            amount,
            kind: "payment",
            idempotencyKey: `bad${amount}`,
          }),
        ),
      ).toThrow();
    }
  });
});
