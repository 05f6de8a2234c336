import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { signWebhook } from "../../src/modules/platform/webhooks/send";

const secretOf = (bytes: Uint8Array) => `whsec_${Buffer.from(bytes).toString("base64")}`;

describe("signWebhook", () => {
  test("is the Standard Webhooks signature: the reference library computes the same and verifies it", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        fc.string({ unit: "binary", maxLength: 400 }),
        (key, msgId, timestamp, body) => {
          const secret = secretOf(key);
          const ours = signWebhook(secret, msgId, timestamp, body);
          expect(ours).toBe(new Webhook(secret).sign(msgId, new Date(timestamp * 1000), body));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("a receiver holding the secret accepts it; another secret or a changed body does not", () => {
    const secret = secretOf(randomBytes(32));
    const timestamp = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "order.paid", data: { amount: 4900, note: "ёж 🦔" } });
    const headers = {
      "webhook-id": "msg_1",
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signWebhook(secret, "msg_1", timestamp, body),
    };
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: "order.paid" });
    expect(() => new Webhook(secretOf(randomBytes(32))).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace("4900", "4901"), headers)).toThrow();
  });

  test("a key is read from the secret it belongs to, not from the previous call's", () => {
    const [a, b] = [secretOf(randomBytes(32)), secretOf(randomBytes(32))];
    expect(signWebhook(a, "m", 1, "{}")).not.toBe(signWebhook(b, "m", 1, "{}"));
    expect(signWebhook(a, "m", 1, "{}")).toBe(new Webhook(a).sign("m", new Date(1000), "{}"));
  });
});
