import Stripe from "stripe";

/**
 * A fake Stripe API on loopback answering what souk calls: POST /v1/checkout/sessions
 * (form-encoded, Bearer secret key, Idempotency-Key honoured) and GET /v1/checkout/sessions/{id}.
 * It also builds the webhook events Stripe would send for a session, signed like Stripe signs.
 */
export type FakeSession = {
  id: string;
  object: "checkout.session";
  url: string;
  mode: string;
  status: "open" | "complete" | "expired";
  payment_status: "unpaid" | "paid" | "no_payment_required";
  amount_total: number;
  amount_subtotal: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  success_url: string;
  cancel_url: string;
  payment_intent: string | null;
  created: number;
  expires_at: number;
  livemode: false;
  line_items_input: unknown;
};

export type StripeCall = {
  method: string;
  path: string;
  auth: string | null;
  idempotencyKey: string | null;
  form: any;
};

/** `a[0][b]=1` form keys into nested objects and arrays, as Stripe reads them. */
export function parseStripeForm(body: string): any {
  const root: any = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((s) => s !== "");
    let node = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]!);
      if (last) node[part] = value;
      else node = node[part] ??= nextIsIndex ? [] : {};
    });
  }
  return root;
}

const rand = (n = 24) =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(n)),
    (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36],
  ).join("");

export function startFakeStripe(opts: { secretKey?: string } = {}) {
  const secretKey = opts.secretKey ?? "sk_test_x";
  const sessions = new Map<string, FakeSession>();
  const byIdempotencyKey = new Map<string, string>();
  const calls: StripeCall[] = [];
  let failures: number[] = [];

  const error = (status: number, type: string, message: string) =>
    Response.json({ error: { type, message } }, { status });

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization");
      const idempotencyKey = req.headers.get("idempotency-key");
      const text = req.method === "POST" ? await req.text() : "";
      const form = text ? parseStripeForm(text) : {};
      calls.push({ method: req.method, path: url.pathname, auth, idempotencyKey, form });
      const failure = failures.shift();
      if (failure) return error(failure, "api_error", "fake Stripe failure");
      if (auth !== `Bearer ${secretKey}`)
        return error(401, "invalid_request_error", "Invalid API Key provided");

      if (req.method === "POST" && url.pathname === "/v1/checkout/sessions") {
        if (idempotencyKey && byIdempotencyKey.has(idempotencyKey)) {
          return Response.json(sessions.get(byIdempotencyKey.get(idempotencyKey)!));
        }
        const item = form.line_items?.[0];
        const unit = Number(item?.price_data?.unit_amount);
        const qty = Number(item?.quantity ?? 1);
        const currency = item?.price_data?.currency;
        if (form.mode !== "payment") return error(400, "invalid_request_error", "mode must be payment here");
        if (
          !Number.isInteger(unit) ||
          unit < 0 ||
          typeof currency !== "string" ||
          currency !== currency.toLowerCase()
        )
          return error(400, "invalid_request_error", "invalid line_items[0][price_data]");
        if (!form.success_url)
          return error(400, "invalid_request_error", "Missing required param: success_url.");
        const id = `cs_test_${rand()}`;
        const created = Math.floor(Date.now() / 1000);
        const s: FakeSession = {
          id,
          object: "checkout.session",
          url: `http://127.0.0.1:${server.port}/c/pay/${id}`,
          mode: "payment",
          status: "open",
          payment_status: "unpaid",
          amount_total: unit * qty,
          amount_subtotal: unit * qty,
          currency,
          client_reference_id: form.client_reference_id ?? null,
          metadata: form.metadata ?? {},
          success_url: form.success_url,
          cancel_url: form.cancel_url,
          payment_intent: null,
          created,
          expires_at: created + 86400,
          livemode: false,
          line_items_input: form.line_items,
        };
        sessions.set(id, s);
        if (idempotencyKey) byIdempotencyKey.set(idempotencyKey, id);
        return Response.json(s);
      }
      const m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && m) {
        const s = sessions.get(m[1]!);
        return s
          ? Response.json(s)
          : error(404, "invalid_request_error", `No such checkout.session: '${m[1]}'`);
      }
      return error(404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${url.pathname})`);
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    sessions,
    calls,
    /** The next `n` calls answer `status` (500: Stripe is down). */
    failNext(n: number, status = 500) {
      failures = [...failures, ...Array(n).fill(status)];
    },
    /** The session created for a purchase. */
    sessionOf(purchaseId: number): FakeSession {
      const s = [...sessions.values()].find((x) => x.metadata.purchase_id === String(purchaseId));
      if (!s) throw new Error(`no session for purchase ${purchaseId}`);
      return s;
    },
    /** A Stripe Event for a session; `overrides` change fields of the session object in it. */
    event(type: string, sessionId: string, overrides: Partial<FakeSession> & Record<string, unknown> = {}) {
      const s = sessions.get(sessionId);
      if (!s) throw new Error(`unknown session ${sessionId}`);
      const paid =
        type === "checkout.session.completed" ? { status: "complete", payment_status: "paid" } : {};
      const expired = type === "checkout.session.expired" ? { status: "expired" } : {};
      const { line_items_input: _ignored, ...session } = s;
      return {
        id: `evt_${rand()}`,
        object: "event",
        api_version: "2025-01-01",
        created: Math.floor(Date.now() / 1000),
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object: { ...session, ...paid, ...expired, ...overrides } },
      };
    },
    stop() {
      server.stop(true);
    },
  };
}

export type FakeStripe = ReturnType<typeof startFakeStripe>;

/**
 * The Stripe-Signature header for a payload, as Stripe computes it (`t=…,v1=…`). Under Bun the
 * SDK's crypto is SubtleCrypto, so only the async variant works.
 */
export function signStripePayload(payload: string, secret: string, timestampSeconds: number) {
  return Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp: timestampSeconds });
}
