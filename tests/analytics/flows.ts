import { expect } from "bun:test";
import type { TestApp } from "../helpers/app";
import { fundWallet } from "../helpers/marketplace";
import { addPackage } from "../payments/setup";

export const V = "/api/v1";
export type User = Awaited<ReturnType<TestApp["user"]>>;

const post = async (t: TestApp, path: string, token: string, body?: unknown, status = 200) => {
  const r = await t.call("POST", `${V}${path}`, { token, body });
  if (r.status !== status) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

/** Signs up through the API (so the sign-up event is emitted) and returns the new user's id and token. */
export async function register(t: TestApp, name: string) {
  const r = await t.call("POST", `${V}/auth/register`, {
    body: { email: `${name}@example.com`, password: "correct horse battery", username: name },
  });
  expect(r.status).toBe(201);
  return { id: r.body.user.id as number, token: r.body.access_token as string };
}

export type SessionEnd = "open" | "wallet" | "manual" | "cancelled";

/**
 * A session booked by `client` with `expert`, driven through the order routes: left `new`
 * ("open"), cancelled by the client, or completed, paid from the wallet (escrow released on
 * acceptance: the commission reaches platform revenue) or by manual transfer (no commission).
 */
export async function session(
  t: TestApp,
  o: { client: User; expert: User; subjectId: number; minutes: number; price?: number; end: SessionEnd },
) {
  const scheduled = new Date(t.clock.now() + 3 * 86_400_000).toISOString();
  const order = await post(
    t,
    "/orders",
    o.client.token,
    {
      title: "Consultation",
      subject_id: o.subjectId,
      kind: "session",
      scheduled_at: scheduled,
      duration_minutes: o.minutes,
    },
    201,
  );
  const id = order.id as number;
  if (o.end === "open") return id;
  if (o.end === "cancelled") {
    await post(t, `/orders/${id}/cancel`, o.client.token, { reason: "changed my mind" });
    return id;
  }
  const price = o.price ?? 1000_00;
  await post(t, `/orders/${id}/take`, o.expert.token);
  await post(t, `/orders/${id}/set-price`, o.expert.token, { price });
  if (o.end === "wallet") {
    fundWallet(t, o.client.id, price);
    await post(t, `/orders/${id}/pay`, o.client.token);
  } else {
    await post(t, `/orders/${id}/mark-paid`, o.client.token, {});
    await post(t, `/orders/${id}/confirm-payment`, o.expert.token);
  }
  await post(t, `/orders/${id}/start`, o.expert.token);
  await post(t, `/orders/${id}/complete`, o.expert.token);
  if (o.end === "wallet") await post(t, `/orders/${id}/accept`, o.client.token);
  return id;
}

/** The client's review of the expert of a completed order. */
export const reviewExpert = (t: TestApp, client: User, orderId: number, rating: number) =>
  post(t, `/orders/${orderId}/review-master`, client.token, { rating }, 201);

/** The expert's review of the client of a completed order. */
export const reviewClient = (t: TestApp, expert: User, orderId: number, rating: number) =>
  post(t, `/orders/${orderId}/review-client`, expert.token, { rating }, 201);

/** A published course by `expert`. */
export async function course(t: TestApp, expert: User, title: string, price = 0) {
  const c = await post(t, "/courses", expert.token, { title, price }, 201);
  await post(t, `/courses/${c.id}/publish`, expert.token);
  return c.id as number;
}

/** Enrolls (a paid course is paid from a wallet funded just for it), then reports progress and a rating. */
export async function learn(
  t: TestApp,
  learner: User,
  courseId: number,
  o: { price?: number; progress?: number; rating?: number } = {},
) {
  if (o.price) fundWallet(t, learner.id, o.price);
  await post(t, `/courses/${courseId}/enroll`, learner.token, undefined, 201);
  if (o.progress) await post(t, `/courses/${courseId}/progress`, learner.token, { progress: o.progress });
  if (o.rating) await post(t, `/courses/${courseId}/rate`, learner.token, { rating: o.rating });
}

/** A minute package bought from the wallet: its price reaches platform revenue at once. */
export async function buyPackage(t: TestApp, buyer: User, price: number) {
  const pkg = addPackage(t, { price });
  fundWallet(t, buyer.id, price);
  const p = await post(t, "/purchases", buyer.token, { package_id: pkg.id, provider: "wallet" }, 201);
  expect(p.status).toBe("succeeded");
  return p.id as number;
}

/** An admin refunds a purchase in full: the amount leaves platform revenue. */
export const refund = (t: TestApp, admin: User, purchaseId: number) =>
  post(t, `/admin/purchases/${purchaseId}/refund`, admin.token, { reason: "customer asked" });

/** A small RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
