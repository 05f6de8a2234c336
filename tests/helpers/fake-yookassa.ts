/**
 * A fake YooKassa API v3 on loopback: POST /v3/payments (Basic auth shop id : secret key,
 * `Idempotence-Key` required; the same key returns the same payment) and GET /v3/payments/{id}.
 * Tests move a payment along (`setStatus`) or tamper with it (`update`) as YooKassa would.
 */
export type FakePayment = {
  id: string;
  status: "pending" | "waiting_for_capture" | "succeeded" | "canceled";
  paid: boolean;
  amount: { value: string; currency: string };
  income_amount?: { value: string; currency: string };
  confirmation: { type: "redirect"; confirmation_url: string; return_url: string };
  description?: string;
  metadata: Record<string, string>;
  recipient: { account_id: string; gateway_id: string };
  cancellation_details?: { party: string; reason: string };
  captured_at?: string;
  created_at: string;
  refundable: boolean;
  test: true;
};

export type YooCall = {
  method: string;
  path: string;
  auth: string | null;
  idempotenceKey: string | null;
  body: any;
};

export function startFakeYooKassa(opts: { shopId?: string; secretKey?: string } = {}) {
  const shopId = opts.shopId ?? "123456";
  const secretKey = opts.secretKey ?? "test_secret";
  const expectedAuth = `Basic ${Buffer.from(`${shopId}:${secretKey}`).toString("base64")}`;
  const payments = new Map<string, FakePayment>();
  const byKey = new Map<string, { id: string; body: string }>();
  const calls: YooCall[] = [];
  let failures: number[] = [];

  const error = (status: number, code: string, description: string, parameter?: string) =>
    Response.json(
      { type: "error", id: crypto.randomUUID(), code, description, ...(parameter ? { parameter } : {}) },
      { status },
    );

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization");
      const idempotenceKey = req.headers.get("idempotence-key");
      const text = req.method === "POST" ? await req.text() : "";
      let body: any = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        return error(400, "invalid_request", "Request body is not JSON");
      }
      calls.push({ method: req.method, path: url.pathname, auth, idempotenceKey, body });
      const failure = failures.shift();
      if (failure) return error(failure, "internal_server_error", "fake YooKassa failure");
      if (auth !== expectedAuth)
        return error(401, "invalid_credentials", "Authentication by given credentials failed");

      if (req.method === "POST" && url.pathname === "/v3/payments") {
        if (!idempotenceKey)
          return error(400, "invalid_request", "Idempotence key is missing", "Idempotence-Key");
        const prior = byKey.get(idempotenceKey);
        if (prior) {
          if (prior.body !== text)
            return error(
              400,
              "invalid_request",
              "Idempotence key duplicated with another request",
              "Idempotence-Key",
            );
          return Response.json(payments.get(prior.id));
        }
        const value = body?.amount?.value;
        const currency = body?.amount?.currency;
        if (typeof value !== "string" || !/^\d+(\.\d{1,2})?$/.test(value) || Number(value) <= 0)
          return error(400, "invalid_request", "Invalid amount value", "amount.value");
        if (typeof currency !== "string" || !/^[A-Z]{3}$/.test(currency))
          return error(400, "invalid_request", "Invalid currency", "amount.currency");
        if (body?.confirmation?.type !== "redirect" || typeof body.confirmation.return_url !== "string")
          return error(400, "invalid_request", "confirmation.return_url is required", "confirmation");
        const id = crypto.randomUUID();
        const p: FakePayment = {
          id,
          status: "pending",
          paid: false,
          amount: { value, currency },
          confirmation: {
            type: "redirect",
            confirmation_url: `http://127.0.0.1:${server.port}/checkout/payments/v2/contract?orderId=${id}`,
            return_url: body.confirmation.return_url,
          },
          description: body.description,
          metadata: body.metadata ?? {},
          recipient: { account_id: shopId, gateway_id: "100500" },
          created_at: new Date().toISOString(),
          refundable: false,
          test: true,
        };
        payments.set(id, p);
        byKey.set(idempotenceKey, { id, body: text });
        return Response.json(p);
      }
      const m = /^\/v3\/payments\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        const p = payments.get(decodeURIComponent(m[1]!));
        return p ? Response.json(p) : error(404, "not_found", "Payment doesn't exist or access denied");
      }
      return error(404, "not_found", `${req.method} ${url.pathname} not found`);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    payments,
    calls,
    /** The next `n` calls answer `status` (500: YooKassa is down). */
    failNext(n: number, status = 500) {
      failures = [...failures, ...Array(n).fill(status)];
    },
    /** The payment created for a purchase. */
    paymentOf(purchaseId: number): FakePayment {
      const p = [...payments.values()].find((x) => x.metadata.purchase_id === String(purchaseId));
      if (!p) throw new Error(`no payment for purchase ${purchaseId}`);
      return p;
    },
    /** Moves a payment to a status as YooKassa would (succeeded is paid and captured). */
    setStatus(id: string, status: FakePayment["status"], reason = "expired_on_confirmation") {
      const p = payments.get(id);
      if (!p) throw new Error(`unknown payment ${id}`);
      p.status = status;
      p.paid = status === "succeeded" || status === "waiting_for_capture";
      if (status === "succeeded") {
        p.captured_at = new Date().toISOString();
        p.income_amount = { ...p.amount };
      }
      if (status === "canceled") p.cancellation_details = { party: "yoo_money", reason };
      return p;
    },
    /** Changes fields of a stored payment (to simulate tampering or odd answers). */
    update(id: string, patch: Partial<FakePayment>) {
      const p = payments.get(id);
      if (!p) throw new Error(`unknown payment ${id}`);
      Object.assign(p, patch);
      return p;
    },
    stop() {
      server.stop(true);
    },
  };
}

export type FakeYooKassa = ReturnType<typeof startFakeYooKassa>;

/** The notification body YooKassa POSTs (souk trusts none of it but object.id). */
export function yookassaNotification(
  payment: Partial<FakePayment> & { id: string },
  event = "payment.succeeded",
) {
  return { type: "notification", event, object: payment };
}
