import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { parseEnv } from "../../src/env";
import { stripeEnabled } from "../../src/providers/stripe";
import {
  currencyExponent,
  decimalToMinor,
  minorToDecimal,
  yookassaEnabled,
} from "../../src/providers/yookassa";
import { parseStripeForm } from "../helpers/fake-stripe";

describe("YooKassa amounts: minor units <-> decimal strings", () => {
  test.each([
    [99000, "RUB", "990.00"],
    [5, "RUB", "0.05"],
    [0, "RUB", "0.00"],
    [1005, "RUB", "10.05"],
    [123456789, "USD", "1234567.89"],
    [1200, "JPY", "1200"],
    [1234, "KWD", "1.234"],
  ])("%d %s <-> %s", (minor, cur, dec) => {
    expect(minorToDecimal(minor, cur)).toBe(dec);
    expect(decimalToMinor(dec, cur)).toBe(minor);
  });

  test.each([
    ["990", "RUB", 99000],
    ["990.5", "RUB", 99050],
    ["990.000", "RUB", 99000],
    ["0.1", "RUB", 10],
  ])("%s %s -> %d (short or zero-padded fractions)", (dec, cur, minor) => {
    expect(decimalToMinor(dec, cur)).toBe(minor);
  });

  test.each([["990.001"], ["-1.00"], ["1e3"], [""], ["abc"], ["1.2.3"], ["9999999999999999.00"]])(
    "%p is not an exact amount -> null",
    (dec) => {
      expect(decimalToMinor(dec, "RUB")).toBeNull();
    },
  );

  test("property: the round trip is exact for every amount and exponent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000_000 }),
        fc.constantFrom("RUB", "USD", "JPY", "KWD"),
        (n, cur) => {
          const s = minorToDecimal(n, cur);
          expect(decimalToMinor(s, cur)).toBe(n);
          const exp = currencyExponent(cur);
          expect(s.includes(".")).toBe(exp > 0);
          if (exp > 0) expect(s.split(".")[1]!.length).toBe(exp);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("negative or fractional minor amounts are refused", () => {
    expect(() => minorToDecimal(-1, "RUB")).toThrow();
    expect(() => minorToDecimal(1.5, "RUB")).toThrow();
  });
});

describe("providers are off without their keys", () => {
  test("stripe needs STRIPE_SECRET_KEY; yookassa needs shop id and secret key", () => {
    expect(stripeEnabled({ env: parseEnv({}) })).toBe(false);
    expect(stripeEnabled({ env: parseEnv({ STRIPE_SECRET_KEY: "sk_x" }) })).toBe(true);
    expect(yookassaEnabled({ env: parseEnv({ YOOKASSA_SHOP_ID: "1" }) })).toBe(false);
    expect(yookassaEnabled({ env: parseEnv({ YOOKASSA_SHOP_ID: "1", YOOKASSA_SECRET_KEY: "s" }) })).toBe(
      true,
    );
  });
});

test("the fake Stripe reads nested form keys like Stripe", () => {
  expect(
    parseStripeForm(
      "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=rub&metadata[purchase_id]=7",
    ),
  ).toEqual({
    mode: "payment",
    line_items: [{ quantity: "1", price_data: { currency: "rub" } }],
    metadata: { purchase_id: "7" },
  });
});
