import { z } from "zod";
import type { AppContext } from "../context";

/**
 * A small typed client of the YooKassa API v3 (no well-kept SDK exists): create a payment with an
 * `Idempotence-Key`, read a payment back. Amounts cross the wire as decimal strings ("990.00");
 * souk keeps integer minor units, and the conversion below is string arithmetic, never floats.
 */

/** YooKassa is on when both the shop id and the secret key are configured. */
export const yookassaEnabled = (ctx: Pick<AppContext, "env">) =>
  Boolean(ctx.env.YOOKASSA_SHOP_ID && ctx.env.YOOKASSA_SECRET_KEY);

// ISO 4217 minor-unit exponents that are not 2.
const EXPONENT: Record<string, number> = {
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
};
export const currencyExponent = (currency: string) => EXPONENT[currency.toUpperCase()] ?? 2;

/** 99000 RUB -> "990.00"; 5 RUB -> "0.05"; 1200 JPY -> "1200". */
export function minorToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor) || minor < 0)
    throw new Error(`amount must be a non-negative integer: ${minor}`);
  const exp = currencyExponent(currency);
  if (exp === 0) return String(minor);
  const digits = String(minor).padStart(exp + 1, "0");
  return `${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/** "990.00" RUB -> 99000; "990" -> 99000; "990.5" -> 99050. Null when not an exact amount. */
export function decimalToMinor(value: string, currency: string): number | null {
  const m = /^(\d{1,15})(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return null;
  const exp = currencyExponent(currency);
  let frac = m[2] ?? "";
  // Extra digits are allowed only as trailing zeros ("990.000" is 990.00; "990.001" is not exact).
  if (frac.length > exp) {
    if (!/^0*$/.test(frac.slice(exp))) return null;
    frac = frac.slice(0, exp);
  }
  const n = Number(m[1]! + frac.padEnd(exp, "0"));
  return Number.isSafeInteger(n) ? n : null;
}

const Amount = z.object({ value: z.string(), currency: z.string() });

/** The fields of a payment object souk reads (unknown fields pass through). */
export const YooPaymentSchema = z
  .object({
    id: z.string().min(1),
    status: z.enum(["pending", "waiting_for_capture", "succeeded", "canceled"]),
    paid: z.boolean().optional(),
    amount: Amount,
    confirmation: z.object({ type: z.string(), confirmation_url: z.string().optional() }).loose().optional(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
    cancellation_details: z.object({ party: z.string(), reason: z.string() }).loose().optional(),
    created_at: z.string().optional(),
    test: z.boolean().optional(),
  })
  .loose();
export type YooPayment = z.infer<typeof YooPaymentSchema>;

/** Network failure, timeout, 5xx, or an answer that is not a payment. */
export class YooKassaError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

type Ctx = Pick<AppContext, "env" | "fetch">;

const TIMEOUT_MS = 10_000;
const RETRY_DELAY_MS = 150;

function authHeader(ctx: Ctx) {
  const { YOOKASSA_SHOP_ID: shop, YOOKASSA_SECRET_KEY: key } = ctx.env;
  if (!shop || !key) throw new YooKassaError("YooKassa is not configured");
  return `Basic ${Buffer.from(`${shop}:${key}`).toString("base64")}`;
}

const url = (ctx: Ctx, path: string) => `${ctx.env.YOOKASSA_API_BASE.replace(/\/$/, "")}${path}`;

/**
 * One request, retried once on a network error, 5xx or 202 ("still processing"): safe because
 * a POST carries the same Idempotence-Key and a GET changes nothing.
 */
async function request(
  ctx: Ctx,
  method: "GET" | "POST",
  path: string,
  init: { body?: unknown; idempotenceKey?: string } = {},
): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { authorization: authHeader(ctx), accept: "application/json" };
  if (init.idempotenceKey) headers["idempotence-key"] = init.idempotenceKey;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  let lastError = "";
  for (let attempt = 0; attempt < 2; attempt++) {
    if (attempt > 0) await Bun.sleep(RETRY_DELAY_MS);
    let res: Response;
    try {
      res = await ctx.fetch(url(ctx, path), {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      lastError = `yookassa ${method} ${path}: ${e instanceof Error ? e.message : String(e)}`;
      continue;
    }
    const text = await res.text().catch(() => "");
    if (res.status >= 500 || res.status === 202) {
      lastError = `yookassa ${method} ${path}: HTTP ${res.status}`;
      continue;
    }
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new YooKassaError(`yookassa ${method} ${path}: HTTP ${res.status}, not JSON`, res.status);
    }
    return { status: res.status, json };
  }
  throw new YooKassaError(lastError);
}

function asPayment(method: string, path: string, r: { status: number; json: unknown }): YooPayment {
  if (r.status !== 200) {
    const code = (r.json as { code?: unknown } | null)?.code;
    throw new YooKassaError(
      `yookassa ${method} ${path}: HTTP ${r.status} ${String(code ?? "")}`.trim(),
      r.status,
    );
  }
  const parsed = YooPaymentSchema.safeParse(r.json);
  if (!parsed.success)
    throw new YooKassaError(`yookassa ${method} ${path}: unexpected payment shape`, r.status);
  return parsed.data;
}

export type CreatePaymentInput = {
  /** Minor units. */
  amount: number;
  currency: string;
  description: string;
  returnUrl: string;
  metadata: Record<string, string>;
  idempotenceKey: string;
};

/** POST /v3/payments: a redirect confirmation, captured at once. */
export async function createPayment(ctx: Ctx, p: CreatePaymentInput): Promise<YooPayment> {
  const body = {
    amount: { value: minorToDecimal(p.amount, p.currency), currency: p.currency.toUpperCase() },
    capture: true,
    confirmation: { type: "redirect", return_url: p.returnUrl },
    description: p.description.slice(0, 128),
    metadata: p.metadata,
  };
  const r = await request(ctx, "POST", "/v3/payments", { body, idempotenceKey: p.idempotenceKey });
  return asPayment("POST", "/v3/payments", r);
}

/** GET /v3/payments/{id}; null when YooKassa does not know the id (404). */
export async function getPayment(ctx: Ctx, id: string): Promise<YooPayment | null> {
  const path = `/v3/payments/${encodeURIComponent(id)}`;
  const r = await request(ctx, "GET", path);
  if (r.status === 404) return null;
  return asPayment("GET", path, r);
}
