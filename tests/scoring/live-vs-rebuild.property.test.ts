import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { HOUR } from "../../src/lib/time";
import { REVIEW_FLAGS } from "../../src/modules/marketplace/reviews/schemas";
import { recomputeScores } from "../../src/modules/scoring/recompute";
import { makeTestApp, type TestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeSubject } from "../helpers/marketplace";
import { type Caller, signUp, V1 } from "./helpers";

/**
 * The live upkeep (a delta per event) and the rebuild (a recount from the tables) must agree after
 * any mix of flows: random sequences of orders, takes, payments, deliveries, revisions,
 * cancellations, declines, disputes settled each way, staff overrides, SLA sweeps, reviews with
 * flags, bans and time passing, all through the HTTP API.
 */

const pick = fc.nat({ max: 1000 });
const op = fc.oneof(
  {
    arbitrary: fc.record({
      k: fc.constant("create"),
      who: fc.nat({ max: 2 }),
      deadline: fc.option(fc.integer({ min: 1, max: 12 })),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ k: fc.constant("take"), who: fc.nat({ max: 1 }), pick }), weight: 5 },
  // A whole order from creation to acceptance, so reviews have completed orders to land on.
  {
    arbitrary: fc.record({ k: fc.constant("flow"), who: fc.nat({ max: 2 }), by: fc.nat({ max: 1 }) }),
    weight: 3,
  },
  // Up to six moves along the wallet route for one order (a revision now and then).
  {
    arbitrary: fc.record({
      k: fc.constant("step"),
      pick,
      moves: fc.integer({ min: 1, max: 6 }),
      revise: fc.boolean(),
    }),
    weight: 10,
  },
  { arbitrary: fc.record({ k: fc.constant("cancel"), pick }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("decline"), pick }), weight: 1 },
  {
    arbitrary: fc.record({ k: fc.constant("dispute"), pick, outcome: fc.constantFrom("refund", "release") }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("override"),
      pick,
      status: fc.constantFrom("new", "cancelled", "completed", "in_review", "declined_by_expert"),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      k: fc.constant("review"),
      pick,
      client: fc.boolean(),
      rating: fc.integer({ min: 1, max: 5 }),
      flags: fc.subarray([...REVIEW_FLAGS]),
    }),
    weight: 6,
  },
  { arbitrary: fc.record({ k: fc.constant("clock"), hours: fc.integer({ min: 1, max: 72 }) }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("sla") }), weight: 2 },
  { arbitrary: fc.record({ k: fc.constant("ban"), who: fc.nat({ max: 2 }) }), weight: 1 },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

type OrderRow = { id: number; status: string; client_id: number; expert_id: number | null };

/**
 * Three clients (two real sign-ups with a score from the start, one account from before scores),
 * two experts, and six orders to start from: four paid into escrow, two in review with a deadline
 * three hours away.
 */
async function world(t: TestApp) {
  const subject = makeSubject(t);
  const w = {
    subject,
    admin: await t.user("admin"),
    clients: [await signUp(t), await signUp(t), await t.user("client")] as Caller[],
    experts: [await makeExpert(t, [subject.id]), await makeExpert(t, [subject.id])] as Caller[],
  };
  for (let i = 0; i < 6; i++) {
    const client = w.clients[i % 3]!;
    const expert = w.experts[i % 2]!;
    const deadline = i >= 4 ? new Date(t.clock.now() + 3 * HOUR).toISOString() : undefined;
    const post = (path: string, who: Caller, body?: unknown) =>
      t.call("POST", `${V1}${path}`, { token: who.token, body });
    const id = (await post("/orders", client, { title: "Start", subject_id: subject.id, deadline })).body.id;
    t.clock.advance(HOUR);
    expect((await post(`/orders/${id}/take`, expert)).status).toBe(200);
    if (i >= 4) continue;
    expect((await post(`/orders/${id}/set-price`, expert, { price: 300 })).status).toBe(200);
    fundWallet(t, client.id, 300);
    expect((await post(`/orders/${id}/pay`, client)).status).toBe(200);
  }
  return w;
}

async function apply(t: TestApp, w: Awaited<ReturnType<typeof world>>, o: Op) {
  const orders = (statuses: string[]) =>
    t.ctx.sqlite
      .query(
        `SELECT id, status, client_id, expert_id FROM orders WHERE status IN (${statuses.map(() => "?").join(",")}) ORDER BY id`,
      )
      .all(...statuses) as OrderRow[];
  const byId = (id: number) =>
    t.ctx.sqlite
      .query("SELECT id, status, client_id, expert_id FROM orders WHERE id = ?")
      .get(id) as OrderRow;
  const choose = (statuses: string[], n: number) => {
    const rows = orders(statuses);
    return rows.length ? rows[n % rows.length] : undefined;
  };
  const as = (id: number | null) => [...w.clients, ...w.experts, w.admin].find((u) => u.id === id) ?? w.admin;
  const post = (path: string, who: Caller, body?: unknown) =>
    t.call("POST", `${V1}${path}`, { token: who.token, body });

  let r: { status: number } | undefined;
  switch (o.k) {
    case "create": {
      const deadline =
        o.deadline == null ? undefined : new Date(t.clock.now() + o.deadline * HOUR).toISOString();
      r = await post("/orders", w.clients[o.who]!, { title: "Task", subject_id: w.subject.id, deadline });
      break;
    }
    case "take": {
      const x = choose(["new"], o.pick);
      if (x) r = await post(`/orders/${x.id}/take`, w.experts[o.who]!);
      break;
    }
    case "flow": {
      const client = w.clients[o.who]!;
      const expert = w.experts[o.by]!;
      const created = await post("/orders", client, { title: "Whole", subject_id: w.subject.id });
      const id = created.body.id as number;
      fundWallet(t, client.id, 300);
      for (const [path, who, body] of [
        ["take", expert],
        ["set-price", expert, { price: 300 }],
        ["pay", client],
        ["start", expert],
        ["complete", expert],
        ["accept", client],
      ] as [string, Caller, unknown?][]) {
        r = await post(`/orders/${id}/${path}`, who, body);
        expect(r.status).toBe(200);
      }
      break;
    }
    case "step": {
      const first = choose(
        ["in_review", "awaiting_payment", "paid", "in_progress", "delivered", "revision"],
        o.pick,
      );
      for (let i = 0; first && i < o.moves; i++) {
        const x = byId(first.id);
        const client = as(x.client_id);
        const expert = as(x.expert_id);
        if (x.status === "in_review") r = await post(`/orders/${x.id}/set-price`, expert, { price: 300 });
        else if (x.status === "awaiting_payment") {
          fundWallet(t, client.id, 300);
          r = await post(`/orders/${x.id}/pay`, client);
        } else if (x.status === "paid" || x.status === "revision")
          r = await post(`/orders/${x.id}/start`, expert);
        else if (x.status === "in_progress") r = await post(`/orders/${x.id}/complete`, expert);
        else if (x.status === "delivered") {
          const revise = o.revise && i === 0;
          r = await post(
            `/orders/${x.id}/${revise ? "request-revision" : "accept"}`,
            client,
            revise ? {} : undefined,
          );
        } else break;
        expect(r.status).toBeLessThan(500);
      }
      break;
    }
    case "cancel": {
      const x = choose(["new", "in_review", "awaiting_payment"], o.pick);
      if (x) r = await post(`/orders/${x.id}/cancel`, as(x.client_id), { reason: "no longer needed" });
      break;
    }
    case "decline": {
      const x = choose(["in_review", "awaiting_payment"], o.pick);
      if (x) r = await post(`/orders/${x.id}/decline`, as(x.expert_id), { reason: "busy" });
      break;
    }
    case "dispute": {
      const x = choose(["paid", "in_progress", "delivered", "revision"], o.pick);
      if (!x) break;
      r = await post(`/orders/${x.id}/dispute`, as(x.client_id), { reason: "not what I asked" });
      if (r.status === 200) r = await post(`/orders/${x.id}/resolve`, w.admin, { outcome: o.outcome });
      break;
    }
    case "override": {
      const x = choose(
        ["new", "in_review", "awaiting_payment", "payment_proof_uploaded", "cancelled", "declined_by_expert"],
        o.pick,
      );
      // Refusals (409: no expert, same status) are part of the game: they must change nothing.
      if (x)
        r = await post(`/admin/orders/${x.id}/set-status`, w.admin, { status: o.status, reason: "staff" });
      break;
    }
    case "review": {
      const x = choose(["completed"], o.pick);
      if (!x || x.expert_id == null) break;
      r = o.client
        ? await post(`/orders/${x.id}/review-master`, as(x.client_id), { rating: o.rating })
        : await post(`/orders/${x.id}/review-client`, as(x.expert_id), { rating: o.rating, flags: o.flags });
      break;
    }
    case "clock":
      t.clock.advance(o.hours * HOUR);
      break;
    case "sla":
      r = await post("/admin/system/run-action", w.admin, { action: "orders-sla-breach" });
      break;
    case "ban": {
      r = await post(`/admin/users/${w.clients[o.who]!.id}/ban`, w.admin, {});
      if (r.status === 200) r = await post(`/admin/users/${w.clients[o.who]!.id}/unban`, w.admin);
      break;
    }
  }
  // Any refusal is a 4xx envelope, never a crash.
  if (r) expect(r.status).toBeLessThan(500);
}

const INPUTS = {
  client_stats: [
    "orders_total",
    "orders_cancelled",
    "orders_completed",
    "negative_flags",
    "reviews_received",
    "rating_sum",
  ],
  expert_stats: [
    "reviews_count",
    "rating_sum",
    "orders_taken",
    "orders_completed",
    "orders_failed",
    "sla_breaches",
    "take_hours_sum",
    "rating_score",
    "success_score",
    "timeliness_score",
    "response_score",
    "master_score",
  ],
};
const rows = (t: TestApp, table: keyof typeof INPUTS) =>
  t.ctx.sqlite.query(`SELECT user_id, ${INPUTS[table].join(", ")} FROM ${table} ORDER BY user_id`).all();

describe("live upkeep and rebuild agree", () => {
  test("property: after any sequence of flows, the rebuild finds nothing to correct", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 20, maxLength: 60 }), async (ops) => {
        const t = makeTestApp();
        const w = await world(t);
        for (const o of ops) await apply(t, w, o);
        const live = { clients: rows(t, "client_stats"), experts: rows(t, "expert_stats") };
        const r = recomputeScores(t.ctx, { batch: 3 });
        expect(r.corrected).toBe(0);
        const rebuilt = { clients: rows(t, "client_stats"), experts: rows(t, "expert_stats") };
        // Every live row is what the recount gives (the rebuild may add rows for users no event touched).
        for (const row of live.clients) expect(rebuilt.clients).toContainEqual(row);
        for (const row of live.experts) expect(rebuilt.experts).toContainEqual(row);
        t.ctx.sqlite.close();
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
