/**
 * The ceiling: a bare `Bun.serve` + `bun:sqlite` program doing the least work each souk route
 * does (DESIGN.md §8). No framework, no middleware, no validation library: what is left is the
 * floor every implementation of the same contract pays on this machine.
 *
 *   CEILING_DB=/tmp/c.db JWT_SECRET=... PORT=3400 bun bench/ceiling.ts
 *
 * Routes (one per bench scenario; add the next scenario's route to ROUTES):
 *   GET /healthz         SELECT 1, JSON body like souk's
 *   GET /api/v1/me       verify an HS256 access JWT, one prepared point read of the user, JSON
 *   GET /api/v1/users/me/balance, POST /api/v1/usage/record   the minute hot paths
 *   GET /api/v1/experts/dashboard/available-orders   role read, souk's count + page query (joins)
 *   POST /api/v1/orders, POST /api/v1/orders/{id}/{take|set-price|pay|start|complete|accept}
 *                        one immediate transaction each: guarded UPDATE, event, notifications,
 *                        ledger rows for pay (hold) and accept (payout + commission)
 *   POST /api/v1/gateway/payin   merchant role read, fraud velocity, order, selection (souk's query),
 *                        ledger hold, requisite counters, events and audit rows: one transaction
 */
import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { MIGRATIONS } from "../src/db/migrations.gen";

const PORT = Number(process.env.PORT ?? 3400);
const HOST = process.env.HOST ?? "127.0.0.1";
const DB_PATH = process.env.CEILING_DB ?? ":memory:";
const SECRET = process.env.JWT_SECRET ?? "ceiling-secret-ceiling-secret-ceiling-secret";
/** Users seeded at start (ids 1..N), so a token issued by souk for a small id also names a row here. */
const SEED_USERS = Number(process.env.CEILING_SEED_USERS ?? 1000);

const db = new Database(DB_PATH, { create: true, strict: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec("PRAGMA synchronous = NORMAL");
db.exec("PRAGMA busy_timeout = 5000");

// souk's own tables (its committed migration SQL, nothing of its framework), so every route below
// reads and writes exactly the rows souk does.
for (const m of MIGRATIONS) {
  for (const stmt of m.sql.split("--> statement-breakpoint"))
    if (stmt.trim())
      db.exec(stmt.replace(/^CREATE (TABLE|UNIQUE INDEX|INDEX) /gm, "CREATE $1 IF NOT EXISTS "));
}

const existing = db.query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()!.n;
if (existing < SEED_USERS) {
  const ins = db.query(
    "INSERT OR IGNORE INTO users (id, email, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  db.transaction(() => {
    for (let id = 1; id <= SEED_USERS; id++) ins.run(id, `user${id}@bench.local`, "client", now, now);
    const grant = db.query(
      `INSERT INTO grants (user_id, total_seconds, remaining_seconds, purchased_at, expires_at, status, created_at)
       VALUES (?, 1000000000, 1000000000, ?, ?, 'active', ?)`,
    );
    for (let id = 1; id <= SEED_USERS; id++) grant.run(id, now, now + 365 * 86_400_000, now);
  })();
}

type UserRow = {
  id: number;
  email: string | null;
  username: string | null;
  telegram_id: number | null;
  role: string;
  first_name: string | null;
  last_name: string | null;
  bio: string | null;
  experience_years: number | null;
  education: string | null;
  skills: string | null;
  avatar_url: string | null;
  granted_permissions: string;
  is_banned: number;
  last_login_at: number | null;
  created_at: number;
};

const userById = db.prepare<UserRow, [number]>(
  `SELECT id, email, username, telegram_id, role, first_name, last_name, bio, experience_years, education,
          skills, avatar_url, granted_permissions, is_banned, last_login_at, created_at
   FROM users WHERE id = ?`,
);
const selectOne = db.prepare<{ ok: number }, []>("SELECT 1 AS ok");

// A client's permissions, as souk lists them (role defaults + grants).
const CLIENT_PERMISSIONS = [
  "me:*",
  "api_keys:*",
  "notifications:*",
  "balance:read",
  "usage:*",
  "purchases:*",
  "packages:read",
  "wallet:*",
  "orders:*",
  "messages:*",
  "reviews:*",
  "courses:*",
  "experts:apply",
];

const key = Buffer.from(SECRET);
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const unauthenticated = () =>
  json({ error: { code: "unauthenticated", message: "invalid access token", request_id: "-" } }, 401);

type Claims = { sub: number; role: string; exp: number; typ: string };

/** HS256 verification: header alg, HMAC-SHA256 over `header.payload` (constant time), typ, expiry. */
function verifyJwt(req: Request): Claims | null {
  const authz = req.headers.get("authorization");
  if (!authz?.startsWith("Bearer ")) return null;
  const token = authz.slice(7);
  const d1 = token.indexOf(".");
  const d2 = token.indexOf(".", d1 + 1);
  if (d1 < 0 || d2 < 0) return null;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, d1), "base64url").toString()) as { alg?: string };
    if (header.alg !== "HS256") return null;
    const expected = createHmac("sha256", key).update(token.slice(0, d2)).digest();
    const given = Buffer.from(token.slice(d2 + 1), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(Buffer.from(token.slice(d1 + 1, d2), "base64url").toString()) as Claims;
    if (claims.typ !== "access" || typeof claims.sub !== "number") return null;
    if (claims.exp * 1000 <= Date.now()) return null;
    return claims;
  } catch {
    return null;
  }
}

const iso = (ms: number | null) => (ms == null ? null : new Date(ms).toISOString());

// The minute hot paths, as plain prepared statements.
const spendable = db.prepare<{ s: number }, [number, number]>(
  "SELECT COALESCE(SUM(remaining_seconds), 0) AS s FROM grants WHERE user_id = ? AND status = 'active' AND expires_at > ?",
);
const heldSum = db.prepare<{ s: number }, [number, number]>(
  "SELECT COALESCE(SUM(remaining_seconds), 0) AS s FROM holds WHERE user_id = ? AND status = 'open' AND expires_at > ?",
);
type GrantRow = {
  id: number;
  package_id: number | null;
  remaining_seconds: number;
  total_seconds: number;
  purchased_at: number;
  expires_at: number;
};
const activeGrants = db.prepare<GrantRow, [number, number]>(
  `SELECT id, package_id, remaining_seconds, total_seconds, purchased_at, expires_at FROM grants
   WHERE user_id = ? AND status = 'active' AND expires_at > ? AND remaining_seconds > 0 ORDER BY expires_at, purchased_at, id`,
);
const walletRows = db.prepare<{ kind: string; balance: number }, [string, string]>(
  "SELECT kind, balance FROM ledger_accounts WHERE owner_type = 'user' AND owner_id = ? AND currency = ?",
);
const findUsage = db.prepare<{ id: number }, [number, string]>(
  "SELECT id FROM usage_events WHERE user_id = ? AND usage_id = ?",
);
const debitGrant = db.prepare("UPDATE grants SET remaining_seconds = remaining_seconds - ? WHERE id = ?");
const insertUsage = db.prepare<{ id: number }, [number, string, number, number, number, number]>(
  `INSERT INTO usage_events (user_id, usage_id, seconds, billed_seconds, remaining_after, created_at)
   VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
);
const insertAllocation = db.prepare(
  "INSERT INTO usage_allocations (usage_event_id, grant_id, seconds) VALUES (?, ?, ?)",
);
const insertEvent = db.prepare(
  "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES ('usage.recorded', ?, 'user', ?, ?, ?)",
);

/** Same minimal work as souk's usage record: claim the id, debit grants in spend order, event. */
const recordUsage = db.transaction((userId: number, id: string, seconds: number, now: number) => {
  if (findUsage.get(userId, id)) return { status: 200, body: { id } };
  const billed = Math.ceil(seconds / 15) * 15;
  const grants = activeGrants.all(userId, now);
  const free = grants.reduce((a, g) => a + g.remaining_seconds, 0) - heldSum.get(userId, now)!.s;
  if (billed > free) return { status: 402, body: { error: { code: "insufficient_minutes" } } };
  const allocations: { grant_id: number; seconds: number }[] = [];
  let left = billed;
  for (const g of grants) {
    const take = Math.min(left, g.remaining_seconds);
    debitGrant.run(take, g.id);
    allocations.push({ grant_id: g.id, seconds: take });
    left -= take;
    if (!left) break;
  }
  const row = insertUsage.get(userId, id, seconds, billed, free - billed, now)!;
  for (const a of allocations) insertAllocation.run(row.id, a.grant_id, a.seconds);
  insertEvent.run(
    userId,
    String(userId),
    JSON.stringify({ id, seconds, billed_seconds: billed, hold_id: null }),
    now,
  );
  return {
    status: 201,
    body: { id, seconds, billed_seconds: billed, remaining_seconds: free - billed, allocations },
  };
});

// ---------------------------------------------------------------------------------------------
// Marketplace: the expert's available orders and the order lifecycle (create -> take -> set-price
// -> pay -> start -> complete -> accept). Same tables, same rows as souk; each step is one immediate
// transaction: a guarded UPDATE of the order (its WHERE is the status and party check), an events
// row, a notification for the other party, and for pay / accept the ledger rows.

type OrderRow = {
  id: number;
  kind: string;
  status: string;
  client_id: number;
  expert_id: number | null;
  title: string;
  description: string | null;
  subject_id: number;
  work_type_id: number | null;
  complexity_id: number | null;
  deadline: number | null;
  scheduled_at: number | null;
  duration_minutes: number | null;
  budget: number | null;
  price: number | null;
  currency: string;
  payment_method: string | null;
  payment_proof_file_id: number | null;
  escrow_amount: number;
  sla_due_at: number | null;
  sla_breached_at: number | null;
  taken_at: number | null;
  paid_at: number | null;
  started_at: number | null;
  delivered_at: number | null;
  completed_at: number | null;
  cancelled_at: number | null;
  status_reason: string | null;
  created_at: number;
  updated_at: number;
};

const ORDER_COLS = `orders.id, orders.kind, orders.status, orders.client_id, orders.expert_id, orders.title,
  orders.description, orders.subject_id, orders.work_type_id, orders.complexity_id, orders.deadline,
  orders.scheduled_at, orders.duration_minutes, orders.budget, orders.price, orders.currency,
  orders.payment_method, orders.payment_proof_file_id, orders.escrow_amount, orders.sla_due_at,
  orders.sla_breached_at, orders.taken_at, orders.paid_at, orders.started_at, orders.delivered_at,
  orders.completed_at, orders.cancelled_at, orders.status_reason, orders.created_at, orders.updated_at`;
const RETURNING = `RETURNING ${ORDER_COLS.replaceAll("orders.", "")}`;

const serializeOrder = (o: OrderRow) => ({
  id: o.id,
  kind: o.kind,
  status: o.status,
  client_id: o.client_id,
  expert_id: o.expert_id,
  title: o.title,
  description: o.description,
  subject_id: o.subject_id,
  work_type_id: o.work_type_id,
  complexity_id: o.complexity_id,
  deadline: iso(o.deadline),
  scheduled_at: iso(o.scheduled_at),
  duration_minutes: o.duration_minutes,
  budget: o.budget,
  price: o.price,
  currency: o.currency,
  payment_method: o.payment_method,
  payment_proof_file_id: o.payment_proof_file_id,
  escrow_amount: o.escrow_amount,
  sla_due_at: iso(o.sla_due_at),
  sla_breached_at: iso(o.sla_breached_at),
  status_reason: o.status_reason,
  taken_at: iso(o.taken_at),
  paid_at: iso(o.paid_at),
  started_at: iso(o.started_at),
  delivered_at: iso(o.delivered_at),
  completed_at: iso(o.completed_at),
  cancelled_at: iso(o.cancelled_at),
  created_at: iso(o.created_at),
  updated_at: iso(o.updated_at),
});

/** Thrown inside a transaction to roll it back and answer with the error envelope. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(code);
  }
}
const errorResponse = (e: unknown) => {
  if (e instanceof HttpError)
    return json({ error: { code: e.code, message: e.code, details: e.details, request_id: "-" } }, e.status);
  throw e;
};

const userRole = db.prepare<{ role: string; is_banned: number }, [number]>(
  "SELECT role, is_banned FROM users WHERE id = ?",
);
/** Expert-only routes: the role is read per request (an admin may change it), as souk does. */
function expertClaims(req: Request): Claims | Response {
  const claims = verifyJwt(req);
  if (!claims) return unauthenticated();
  const u = userRole.get(claims.sub);
  if (!u || u.is_banned) return unauthenticated();
  if (u.role !== "expert") return json({ error: { code: "forbidden", message: "experts only" } }, 403);
  return claims;
}

// The available-orders statements: souk's count and page query (same WHERE, joins, order, limit).
const AVAILABLE_WHERE = `orders.status = 'new' AND orders.expert_id IS NULL AND orders.client_id <> ?1
  AND orders.subject_id IN (SELECT subject_id FROM expert_specializations WHERE user_id = ?1 AND is_verified = 1)
  AND EXISTS (SELECT 1 FROM expert_profiles WHERE user_id = ?1 AND is_active = 1)`;
const availableCount = db.prepare<{ n: number }, [number]>(
  `SELECT count(*) AS n FROM orders WHERE ${AVAILABLE_WHERE}`,
);
type AvailableRow = OrderRow & {
  subject_name: string;
  work_type_name: string | null;
  complexity_name: string | null;
  client_username: string | null;
};
const availablePage = db.prepare<AvailableRow, [number, number, number]>(
  `SELECT ${ORDER_COLS}, subjects.name AS subject_name, work_types.name AS work_type_name,
          complexities.name AS complexity_name, users.username AS client_username
   FROM orders
   INNER JOIN subjects ON subjects.id = orders.subject_id
   LEFT JOIN work_types ON work_types.id = orders.work_type_id
   LEFT JOIN complexities ON complexities.id = orders.complexity_id
   INNER JOIN users ON users.id = orders.client_id
   WHERE ${AVAILABLE_WHERE}
   ORDER BY orders.created_at DESC, orders.id DESC LIMIT ?2 OFFSET ?3`,
);

function availableOrders(req: Request): Response {
  const claims = expertClaims(req);
  if (claims instanceof Response) return claims;
  const url = new URL(req.url);
  const page = Number(url.searchParams.get("page") ?? 1);
  const size = Number(url.searchParams.get("page_size") ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 100) {
    return json({ error: { code: "validation_failed" } }, 400);
  }
  const count = availableCount.get(claims.sub)!.n;
  const rows = availablePage.all(claims.sub, size, (page - 1) * size);
  const link = (p: number) => {
    url.searchParams.set("page", String(p));
    url.searchParams.set("page_size", String(size));
    return url.pathname + url.search;
  };
  return json({
    count,
    next: page * size < count ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results: rows.map((r) => ({
      ...serializeOrder(r),
      subject: { id: r.subject_id, name: r.subject_name },
      work_type: r.work_type_id == null ? null : { id: r.work_type_id, name: r.work_type_name ?? "" },
      complexity: r.complexity_id == null ? null : { id: r.complexity_id, name: r.complexity_name ?? "" },
      client: { id: r.client_id, username: r.client_username },
    })),
  });
}

// The lifecycle statements.
const catalogActive = {
  subjects: db.prepare<{ is_active: number }, [number]>("SELECT is_active FROM subjects WHERE id = ?"),
  work_types: db.prepare<{ is_active: number }, [number]>("SELECT is_active FROM work_types WHERE id = ?"),
  complexities: db.prepare<{ is_active: number }, [number]>(
    "SELECT is_active FROM complexities WHERE id = ?",
  ),
};
const insertOrder = db.prepare<
  OrderRow,
  [
    string,
    number,
    string,
    string | null,
    number,
    number | null,
    number | null,
    number | null,
    number | null,
    number,
  ]
>(
  `INSERT INTO orders (kind, status, client_id, title, description, subject_id, work_type_id, complexity_id,
     deadline, budget, currency, sla_due_at, escrow_amount, created_at, updated_at)
   VALUES (?1, 'new', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'RUB', ?8, 0, ?10, ?10) ${RETURNING}`,
);
const candidateExperts = db.prepare<{ id: number }, [number, number]>(
  `SELECT s.user_id AS id FROM expert_specializations s
   JOIN expert_profiles p ON p.user_id = s.user_id JOIN users u ON u.id = s.user_id
   WHERE s.subject_id = ? AND s.is_verified = 1 AND p.is_active = 1 AND u.role = 'expert'
     AND u.is_banned = 0 AND s.user_id <> ?`,
);
const insertOrderEvent = db.prepare<unknown, [string, number, string, string, number]>(
  "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES (?, ?, 'order', ?, ?, ?)",
);
const insertNotification = db.prepare<unknown, [number, string, string, string, string, number]>(
  "INSERT INTO notifications (user_id, type, title, message, data, is_read, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
);
const orderById = db.prepare<OrderRow, [number]>(`SELECT ${ORDER_COLS} FROM orders WHERE id = ?`);

// Guarded transitions: the WHERE holds the allowed source status and the acting party, so one
// statement checks and moves the order. ?1 now, ?2 order id, ?3 the caller.
const takeStmt = db.prepare<OrderRow, [number, number, number]>(
  `UPDATE orders SET status = 'in_review', expert_id = ?3, taken_at = ?1, updated_at = ?1
   WHERE id = ?2 AND status = 'new' AND expert_id IS NULL AND client_id <> ?3
     AND EXISTS (SELECT 1 FROM expert_profiles WHERE user_id = ?3 AND is_active = 1)
     AND EXISTS (SELECT 1 FROM expert_specializations
                 WHERE user_id = ?3 AND subject_id = orders.subject_id AND is_verified = 1)
   ${RETURNING}`,
);
const setPriceStmt = db.prepare<OrderRow, [number, number, number, number]>(
  `UPDATE orders SET status = 'awaiting_payment', price = ?4, updated_at = ?1
   WHERE id = ?2 AND status = 'in_review' AND expert_id = ?3 ${RETURNING}`,
);
const payStmt = db.prepare<OrderRow, [number, number, number]>(
  `UPDATE orders SET status = 'paid', payment_method = 'wallet', escrow_amount = coalesce(price, 0),
     paid_at = ?1, updated_at = ?1
   WHERE id = ?2 AND status = 'awaiting_payment' AND client_id = ?3 ${RETURNING}`,
);
const startStmt = db.prepare<OrderRow, [number, number, number]>(
  `UPDATE orders SET status = 'in_progress', started_at = coalesce(started_at, ?1), updated_at = ?1
   WHERE id = ?2 AND status IN ('paid', 'revision') AND expert_id = ?3 ${RETURNING}`,
);
const completeStmt = db.prepare<OrderRow, [number, number, number]>(
  `UPDATE orders SET status = CASE WHEN escrow_amount > 0 THEN 'delivered' ELSE 'completed' END,
     delivered_at = CASE WHEN escrow_amount > 0 THEN ?1 ELSE delivered_at END,
     completed_at = CASE WHEN escrow_amount > 0 THEN completed_at ELSE ?1 END, updated_at = ?1
   WHERE id = ?2 AND status = 'in_progress' AND expert_id = ?3 ${RETURNING}`,
);
const acceptStmt = db.prepare<OrderRow, [number, number, number]>(
  `UPDATE orders SET status = 'completed', escrow_amount = 0, completed_at = ?1, updated_at = ?1
   WHERE id = ?2 AND status = 'delivered' AND client_id = ?3 ${RETURNING}`,
);

// Ledger: a debit refuses to take a non-negative account below zero; a credit creates the account
// on first use. Both return the account id for the transfer row.
const debitAccount = db.prepare<{ id: number }, [number, string, string, string, string]>(
  `UPDATE ledger_accounts SET balance = balance - ?1
   WHERE owner_type = ?2 AND owner_id = ?3 AND kind = ?4 AND currency = ?5
     AND (allow_negative = 1 OR balance >= ?1) RETURNING id`,
);
const creditAccount = db.prepare<{ id: number }, [string, string, string, string, number, number]>(
  `INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
   VALUES (?, ?, ?, ?, ?, 0, ?)
   ON CONFLICT (owner_type, owner_id, kind, currency) DO UPDATE SET balance = balance + excluded.balance
   RETURNING id`,
);
const insertTransfer = db.prepare<
  unknown,
  [number, number, number, string, string, string, string, string, number]
>(
  `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, reference_type,
     reference_id, idempotency_key, metadata, created_at) VALUES (?, ?, ?, ?, ?, 'order', ?, ?, ?, ?)`,
);
/** souk's order_commission_percent default. */
const COMMISSION_PERCENT = 10;

const spaced = (s: string) => s.replace(/_/g, " ");
/** The event and the notifications of one transition, as souk writes them. */
function recordTransition(
  o: OrderRow,
  action: string,
  from: string,
  actorId: number,
  type: string,
  payload: Record<string, unknown> = {},
) {
  const now = o.updated_at;
  insertOrderEvent.run(
    `order.${action}`,
    actorId,
    String(o.id),
    JSON.stringify({ from, to: o.status, ...payload }),
    now,
  );
  for (const userId of [o.client_id, o.expert_id]) {
    if (userId == null || userId === actorId) continue;
    insertNotification.run(
      userId,
      type,
      `Order #${o.id}: ${spaced(o.status)}`,
      `"${o.title}" is now ${spaced(o.status)}.`,
      JSON.stringify({ order_id: o.id, action, from, to: o.status }),
      now,
    );
  }
}

/** Why a guarded UPDATE matched nothing: 404 for strangers, else 409 (409 already_taken on take). */
function refusal(id: number, userId: number, action: string): never {
  const o = orderById.get(id);
  if (!o) throw new HttpError(404, "not_found");
  if (action === "take") {
    if (o.expert_id != null && o.expert_id !== userId) throw new HttpError(409, "already_taken");
    if (o.status !== "new") throw new HttpError(409, "invalid_transition", { from: o.status });
    throw new HttpError(403, "forbidden");
  }
  if (o.client_id !== userId && o.expert_id !== userId) throw new HttpError(404, "not_found");
  throw new HttpError(409, "invalid_transition", { from: o.status });
}

const meta = (o: OrderRow) =>
  JSON.stringify({ order_id: o.id, expert_id: o.expert_id, client_id: o.client_id });

const createTx = db.transaction(
  (
    userId: number,
    b: {
      title: string;
      description: string | null;
      subject_id: number;
      work_type_id: number | null;
      complexity_id: number | null;
      deadline: number | null;
      budget: number | null;
    },
    now: number,
  ) => {
    for (const [table, id] of [
      ["subjects", b.subject_id],
      ["work_types", b.work_type_id],
      ["complexities", b.complexity_id],
    ] as const) {
      if (id != null && !catalogActive[table].get(id)?.is_active)
        throw new HttpError(400, "validation_failed", { field: table });
    }
    const o = insertOrder.get(
      "work",
      userId,
      b.title,
      b.description,
      b.subject_id,
      b.work_type_id,
      b.complexity_id,
      b.deadline,
      b.budget,
      now,
    )!;
    insertOrderEvent.run(
      "order.created",
      userId,
      String(o.id),
      JSON.stringify({ to: "new", kind: "work", subject_id: o.subject_id, budget: o.budget }),
      now,
    );
    for (const { id } of candidateExperts.all(o.subject_id, userId)) {
      insertNotification.run(
        id,
        "new_order",
        "New order in your specialization",
        `A new order is available: ${o.title}`,
        JSON.stringify({ order_id: o.id }),
        now,
      );
    }
    return o;
  },
);

async function createOrder(req: Request): Promise<Response> {
  const claims = verifyJwt(req);
  if (!claims) return unauthenticated();
  const b = (await req.json()) as Record<string, unknown>;
  const int = (v: unknown, min = 1) =>
    v === undefined ? null : Number.isInteger(v) && (v as number) >= min ? (v as number) : NaN;
  const title = typeof b.title === "string" ? b.title.trim() : "";
  const fields = {
    title,
    description: typeof b.description === "string" ? b.description : null,
    subject_id: int(b.subject_id) as number,
    work_type_id: int(b.work_type_id),
    complexity_id: int(b.complexity_id),
    deadline: typeof b.deadline === "string" ? Date.parse(b.deadline) : null,
    budget: int(b.budget, 0),
  };
  if (
    !title ||
    title.length > 200 ||
    fields.subject_id == null ||
    Object.values(fields).some((v) => Number.isNaN(v))
  ) {
    return json({ error: { code: "validation_failed" } }, 400);
  }
  try {
    return json(serializeOrder(createTx.immediate(claims.sub, fields, Date.now())), 201);
  } catch (e) {
    return errorResponse(e);
  }
}

type Action = (userId: number, id: number, body: Record<string, unknown>, now: number) => OrderRow;
const actionTx = (fn: Action) => db.transaction(fn);
const ORDER_ACTIONS: Record<string, { expertOnly?: boolean; run: ReturnType<typeof actionTx> }> = {
  take: {
    expertOnly: true,
    run: actionTx((userId, id, _b, now) => {
      const o = takeStmt.get(now, id, userId) ?? refusal(id, userId, "take");
      recordTransition(o, "take", "new", userId, "order_assigned");
      return o;
    }),
  },
  "set-price": {
    run: actionTx((userId, id, b, now) => {
      const price = b.price;
      if (!Number.isInteger(price) || (price as number) <= 0)
        throw new HttpError(400, "validation_failed", { field: "price" });
      const o = setPriceStmt.get(now, id, userId, price as number) ?? refusal(id, userId, "set_price");
      recordTransition(o, "set_price", "in_review", userId, "order_status_changed", { price });
      return o;
    }),
  },
  pay: {
    run: actionTx((userId, id, _b, now) => {
      const o = payStmt.get(now, id, userId) ?? refusal(id, userId, "pay");
      recordTransition(o, "pay", "awaiting_payment", userId, "payment_received", {
        amount: o.escrow_amount,
        currency: o.currency,
        payment_method: "wallet",
      });
      const amount = o.escrow_amount;
      if (amount > 0) {
        const client = String(o.client_id);
        const from = debitAccount.get(amount, "user", client, "available", o.currency);
        if (!from) throw new HttpError(402, "insufficient_funds");
        const to = creditAccount.get("user", client, "held", o.currency, amount, now)!;
        insertTransfer.run(
          from.id,
          to.id,
          amount,
          o.currency,
          "hold",
          String(o.id),
          `order:${o.id}:hold`,
          meta(o),
          now,
        );
      }
      return o;
    }),
  },
  start: {
    run: actionTx((userId, id, _b, now) => {
      const before = orderById.get(id);
      const o = startStmt.get(now, id, userId) ?? refusal(id, userId, "start");
      recordTransition(o, "start", before!.status, userId, "order_status_changed");
      return o;
    }),
  },
  complete: {
    run: actionTx((userId, id, _b, now) => {
      const o = completeStmt.get(now, id, userId) ?? refusal(id, userId, "complete");
      recordTransition(
        o,
        "complete",
        "in_progress",
        userId,
        o.status === "completed" ? "order_completed" : "order_status_changed",
      );
      return o;
    }),
  },
  accept: {
    run: actionTx((userId, id, _b, now) => {
      // The escrow to release is read before the UPDATE zeroes it.
      const held = orderById.get(id)?.escrow_amount ?? 0;
      const o = acceptStmt.get(now, id, userId) ?? refusal(id, userId, "accept");
      const commission = Math.round((held * COMMISSION_PERCENT) / 100);
      const payout = held - commission;
      if (held > 0) {
        const from = debitAccount.get(held, "user", String(o.client_id), "held", o.currency);
        if (!from) throw new HttpError(409, "escrow_mismatch");
        const m = meta(o);
        if (payout > 0) {
          const to = creditAccount.get("user", String(o.expert_id), "available", o.currency, payout, now)!;
          insertTransfer.run(
            from.id,
            to.id,
            payout,
            o.currency,
            "payout",
            String(o.id),
            `order:${o.id}:payout`,
            m,
            now,
          );
        }
        if (commission > 0) {
          const to = creditAccount.get("platform", "platform", "revenue", o.currency, commission, now)!;
          insertTransfer.run(
            from.id,
            to.id,
            commission,
            o.currency,
            "commission",
            String(o.id),
            `order:${o.id}:commission`,
            m,
            now,
          );
        }
      }
      recordTransition(o, "accept", "delivered", userId, "order_completed", { payout, commission });
      return o;
    }),
  },
};

/** POST /api/v1/orders/{id}/{action} */
async function orderAction(req: Request, path: string): Promise<Response> {
  const m = /^\/api\/v1\/orders\/(\d+)\/([a-z-]+)$/.exec(path);
  const action = m && req.method === "POST" ? ORDER_ACTIONS[m[2]!] : undefined;
  if (!m || !action) return json({ error: { code: "not_found", message: "no such route" } }, 404);
  const claims = action.expertOnly ? expertClaims(req) : verifyJwt(req);
  if (!claims) return unauthenticated();
  if (claims instanceof Response) return claims;
  const text = await req.text();
  const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  try {
    return json(serializeOrder(action.run.immediate(claims.sub, Number(m[1]), body, Date.now())));
  } catch (e) {
    return errorResponse(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Payment gateway: POST /api/v1/gateway/payin, the same rows as souk's pay-in in one immediate
// transaction: store and idempotency reads, rate, fraud (velocity count on its index), the order,
// its `new` event and audit row, selection (souk's query, walked until the first requisite that
// passes), the hold (two account reads, a transfer, two balances), the requisite's daily share,
// the move to `assigned` with its event and audit row, the store's callback url (none here).

type GwOrderRow = {
  id: number;
  direction: string;
  store_id: number;
  client_order_id: string;
  request_hash: string;
  status: string;
  amount: number;
  currency: string;
  rate: number;
  amount_crypto: number;
  store_bps: number;
  store_commission: number;
  trader_bps: number | null;
  trader_commission: number | null;
  payment_method: string | null;
  bank: string | null;
  requisite_id: number | null;
  trader_id: number | null;
  customer_id: string | null;
  status_reason: string | null;
  dispute_reason: string | null;
  recipient: string | null;
  selection_log: string;
  expires_at: number | null;
  assigned_at: number | null;
  customer_confirmed_at: number | null;
  completed_at: number | null;
  created_at: number;
  updated_at: number;
};
type GwCandidate = {
  id: number;
  trader_id: number;
  payment_method: string;
  bank: string;
  min_amount: number;
  max_amount: number;
  daily_limit: number;
  daily_count_limit: number;
  used_amount: number;
  used_count: number;
  in_work: number;
  traffic_enabled: number;
  trader_bps: number;
  is_banned: number;
  deposit: number;
};
type GwRequisite = { payment_method: string; bank: string; details: string; owner_name: string };
type GwAccount = { id: number; balance: number; allow_negative: number };

// souk's defaults (gateway settings): velocity counts stop at the limit.
const GW_PAYIN_TTL_MS = 900_000;
const FRAUD_MAX = 10_000_000_000;
const FRAUD_REVIEW = 2_000_000_000;
const FRAUD_CUSTOMER = { limit: 10, windowMs: 3_600_000 };
const FRAUD_IP = { limit: 30, windowMs: 3_600_000 };

const gw = {
  store: db.prepare<{ merchant_id: number; active: number; pay_in_bps: number }, [number]>(
    "SELECT merchant_id, active, pay_in_bps FROM gateway_stores WHERE id = ?",
  ),
  existing: db.prepare<{ id: number; request_hash: string }, [number, string]>(
    "SELECT id, request_hash FROM gateway_orders WHERE store_id = ? AND client_order_id = ?",
  ),
  orderById: db.prepare<GwOrderRow, [number]>("SELECT * FROM gateway_orders WHERE id = ?"),
  rate: db.prepare<{ rate: number }, [string]>("SELECT rate FROM gateway_rates WHERE currency = ?"),
  byCustomer: db.prepare<{ n: number }, [number, string, number, number]>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM gateway_orders
       WHERE store_id = ?1 AND customer_id = ?2 AND created_at > ?3 LIMIT ?4)`,
  ),
  byIp: db.prepare<{ n: number }, [string, number, number]>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM gateway_orders
       WHERE customer_ip = ?1 AND created_at > ?2 LIMIT ?3)`,
  ),
  insertOrder: db.prepare<
    GwOrderRow,
    [
      number,
      string,
      string,
      number,
      string,
      number,
      number,
      number,
      number,
      string | null,
      string | null,
      string | null,
      string | null,
      string,
      string,
      number,
    ]
  >(
    `INSERT INTO gateway_orders (direction, store_id, client_order_id, request_hash, status, amount, currency, rate,
       amount_crypto, store_bps, store_commission, payment_method, bank, customer_id, customer_ip, fraud_decision,
       fraud_reasons, selection_log, excluded_traders, created_at, updated_at)
     VALUES ('payin', ?1, ?2, ?3, 'new', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, '[]', '[]', ?16, ?16)
     ON CONFLICT (store_id, client_order_id) DO NOTHING RETURNING *`,
  ),
  event: db.prepare<{ id: number }, [string, number, string, string, number]>(
    "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES (?, ?, 'gateway_order', ?, ?, ?) RETURNING id",
  ),
  audit: db.prepare<unknown, [number, string, string, string, string, string, number]>(
    `INSERT INTO audit_log (actor_id, action, target_type, target_id, details, ip, request_id, created_at)
     VALUES (?, ?, 'gateway_order', ?, ?, ?, ?, ?)`,
  ),
  // souk's selection (src/modules/gateway/orders/assign.ts, pay-in), word for word.
  candidates: db.prepare<GwCandidate, [string, number]>(
    `SELECT r.id, r.trader_id, r.payment_method, r.bank, r.min_amount, r.max_amount, r.daily_limit, r.daily_count_limit,
       CASE WHEN r.usage_day = ?2 THEN r.used_amount ELSE 0 END AS used_amount,
       CASE WHEN r.usage_day = ?2 THEN r.used_count ELSE 0 END AS used_count,
       t.in_work, t.traffic_enabled, t.pay_in_bps AS trader_bps,
       u.is_banned, coalesce(la.balance, 0) AS deposit
     FROM gateway_requisites r INDEXED BY gateway_requisites_payin_idx
     JOIN gateway_traders t ON t.id = r.trader_id
     JOIN users u ON u.id = t.user_id
     LEFT JOIN ledger_accounts la ON la.owner_type = 'trader' AND la.owner_id = CAST(t.id AS TEXT)
       AND la.kind = 'available' AND la.currency = 'USDT'
     WHERE r.status = 'approved' AND r.pay_in = 1 AND r.currency = ?1
     ORDER BY r.trader_priority, r.last_used_at, r.id`,
  ),
  lastStamp: db.prepare<{ t: number | null }, []>("SELECT max(last_used_at) AS t FROM gateway_requisites"),
  account: db.prepare<GwAccount, [string, string, string]>(
    "SELECT id, balance, allow_negative FROM ledger_accounts WHERE owner_type = 'trader' AND owner_id = ? AND kind = ? AND currency = ?",
  ),
  openAccount: db.prepare<GwAccount, [string, string, string, number]>(
    `INSERT INTO ledger_accounts (owner_type, owner_id, kind, currency, balance, allow_negative, created_at)
     VALUES ('trader', ?, ?, ?, 0, 0, ?) RETURNING id, balance, allow_negative`,
  ),
  transfer: db.prepare<{ id: number }, [number, number, number, string, string, number]>(
    `INSERT INTO ledger_transfers (debit_account_id, credit_account_id, amount, currency, kind, reference_type,
       reference_id, idempotency_key, metadata, created_at)
     VALUES (?1, ?2, ?3, 'USDT', 'hold', 'gateway_order', ?4, ?5, '{}', ?6) RETURNING id`,
  ),
  setBalance: db.prepare<unknown, [number, number]>("UPDATE ledger_accounts SET balance = ? WHERE id = ?"),
  takeShare: db.prepare<unknown, [number, number, number, number]>(
    `UPDATE gateway_requisites SET
       used_amount = CASE WHEN usage_day = ?1 THEN used_amount ELSE 0 END + ?2,
       used_count = CASE WHEN usage_day = ?1 THEN used_count ELSE 0 END + 1,
       usage_day = ?1, last_used_at = ?3, updated_at = ?3
     WHERE id = ?4`,
  ),
  assign: db.prepare<
    GwOrderRow,
    [number, number, number, number, number, string, string, number, number, number, string, number]
  >(
    `UPDATE gateway_orders SET requisite_id = ?2, trader_id = ?3, trader_bps = ?4, trader_commission = ?5,
       payment_method = ?6, bank = ?7, usage_day = ?8, assigned_at = ?9, expires_at = ?10, selection_log = ?11,
       status_reason = NULL, status = 'assigned', updated_at = ?9
     WHERE id = ?12 RETURNING *`,
  ),
  unassigned: db.prepare<GwOrderRow, [string, string, string, number, number]>(
    `UPDATE gateway_orders SET status = ?1, status_reason = ?2, selection_log = ?3, updated_at = ?4
     WHERE id = ?5 RETURNING *`,
  ),
  storeCallback: db.prepare<{ callback_url: string | null }, [number]>(
    "SELECT callback_url, callback_secret_sealed FROM gateway_stores WHERE id = ?",
  ),
  requisite: db.prepare<GwRequisite, [number]>(
    "SELECT payment_method, bank, details, owner_name FROM gateway_requisites WHERE id = ?",
  ),
};

/** Least recently used stays a strict order at thousands of uses a millisecond, as in souk. */
let gwStamp: number | null = null;
const useStamp = (now: number) => {
  gwStamp = Math.max(now, (gwStamp ?? gw.lastStamp.get()?.t ?? 0) + 1);
  return gwStamp;
};

const gwCommission = (amountCrypto: number, bps: number) =>
  Number((BigInt(amountCrypto) * BigInt(bps)) / 10_000n);

function gwRejection(c: GwCandidate, o: GwOrderRow) {
  if (o.payment_method && c.payment_method !== o.payment_method) return "payment_method";
  if (o.bank && c.bank.toLowerCase() !== o.bank.toLowerCase()) return "bank";
  if (o.amount < c.min_amount) return "below_min_amount";
  if (o.amount > c.max_amount) return "above_max_amount";
  if (c.is_banned) return "trader_banned";
  if (!c.in_work) return "trader_not_in_work";
  if (!c.traffic_enabled) return "trader_traffic_off";
  if (gwCommission(o.amount_crypto, c.trader_bps) > o.store_commission)
    return "trader_commission_above_store";
  if (c.deposit < o.amount_crypto) return "deposit_too_low";
  if (c.used_amount + o.amount > c.daily_limit) return "daily_limit";
  if (c.used_count >= c.daily_count_limit) return "daily_count_limit";
  return null;
}

type PayinInput = {
  store_id: number;
  amount: number;
  currency: string;
  client_order_id: string;
  customer_id?: string;
  customer_ip?: string;
  payment_method?: string;
  bank?: string;
};
type GwActor = { id: number; ip: string; requestId: string };

const gwDetails = (o: GwOrderRow, from: string | null, extra: Record<string, unknown> = {}) => ({
  from,
  to: o.status,
  store_id: o.store_id,
  direction: o.direction,
  client_order_id: o.client_order_id,
  amount: o.amount,
  currency: o.currency,
  amount_crypto: o.amount_crypto,
  trader_id: o.trader_id,
  requisite_id: o.requisite_id,
  reason: o.status_reason,
  ...extra,
});

/** The status change's event and audit row, then the store's callback url (none: nothing queued). */
function gwRecord(o: GwOrderRow, details: Record<string, unknown>, actor: GwActor, now: number) {
  const payload = JSON.stringify(details);
  gw.event.get(`gateway.order.${o.status}`, actor.id, String(o.id), payload, now);
  gw.audit.run(actor.id, `gateway.order.${o.status}`, String(o.id), payload, actor.ip, actor.requestId, now);
  if (gw.storeCallback.get(o.store_id)?.callback_url)
    throw new Error("the ceiling sends no callbacks: give the bench store no callback url");
}

/** The order as answered, with its requisite read in the same transaction. */
const answer = (status: number, order: GwOrderRow) => ({
  status,
  order,
  requisite: order.requisite_id == null ? null : (gw.requisite.get(order.requisite_id) ?? null),
});

const payinTx = db.transaction((actor: GwActor, b: PayinInput, hash: string, now: number) => {
  const store = gw.store.get(b.store_id);
  if (!store || store.merchant_id !== actor.id) throw new HttpError(404, "not_found");
  const prior = gw.existing.get(b.store_id, b.client_order_id);
  if (prior) {
    if (prior.request_hash !== hash) throw new HttpError(409, "idempotency_conflict");
    return answer(200, gw.orderById.get(prior.id)!);
  }
  if (!store.active) throw new HttpError(404, "not_found");
  const rate = gw.rate.get(b.currency)?.rate;
  if (rate == null) throw new HttpError(400, "validation_failed", { field: "currency" });
  const amountCrypto = Number((BigInt(b.amount) * 1_000_000n) / BigInt(rate));
  if (amountCrypto < 1) throw new HttpError(400, "validation_failed", { field: "amount" });
  const storeCommission = gwCommission(amountCrypto, store.pay_in_bps);

  // Fraud: the deny lists are empty (souk's defaults), so amounts and velocity decide.
  const deny: { code: string }[] = [];
  const review: { code: string }[] = [];
  if (amountCrypto > FRAUD_MAX) deny.push({ code: "amount_above_max" });
  if (amountCrypto > FRAUD_REVIEW) review.push({ code: "amount_above_review" });
  if (b.customer_id) {
    const n = gw.byCustomer.get(
      b.store_id,
      b.customer_id,
      now - FRAUD_CUSTOMER.windowMs,
      FRAUD_CUSTOMER.limit,
    )!.n;
    if (n >= FRAUD_CUSTOMER.limit) review.push({ code: "customer_velocity" });
  }
  if (b.customer_ip) {
    const n = gw.byIp.get(b.customer_ip, now - FRAUD_IP.windowMs, FRAUD_IP.limit)!.n;
    if (n >= FRAUD_IP.limit) review.push({ code: "ip_velocity" });
  }
  const decision = deny.length ? "deny" : review.length ? "review" : "allow";
  const reasons = JSON.stringify([...deny, ...review]);

  const inserted = gw.insertOrder.get(
    b.store_id,
    b.client_order_id,
    hash,
    b.amount,
    b.currency,
    rate,
    amountCrypto,
    store.pay_in_bps,
    storeCommission,
    b.payment_method ?? null,
    b.bank ?? null,
    b.customer_id ?? null,
    b.customer_ip ?? null,
    decision,
    reasons,
    now,
  );
  if (!inserted) throw new HttpError(409, "conflict");
  const created = JSON.stringify({
    from: null,
    to: "new",
    store_id: inserted.store_id,
    direction: "payin",
    client_order_id: inserted.client_order_id,
    amount: inserted.amount,
    currency: inserted.currency,
    amount_crypto: amountCrypto,
    fraud_decision: decision,
    fraud_reasons: [...deny, ...review],
  });
  gw.event.get("gateway.order.new", actor.id, String(inserted.id), created, now);
  gw.audit.run(actor.id, "gateway.order.new", String(inserted.id), created, actor.ip, actor.requestId, now);

  if (decision !== "allow") {
    const o = gw.unassigned.get(decision === "deny" ? "failed" : "review", "fraud", "[]", now, inserted.id)!;
    gwRecord(o, gwDetails(o, "new"), actor, now);
    return answer(201, o);
  }

  // Selection: the first requisite in index order that passes; the ones passed over are logged.
  const day = Math.floor(now / 86_400_000);
  const attempt = {
    attempt: 1,
    at: new Date(now).toISOString(),
    considered: 0,
    chosen: null as { requisite_id: number; trader_id: number } | null,
    rejected_counts: {} as Record<string, number>,
    rejected: [] as { requisite_id: number; trader_id: number; reason: string }[],
  };
  let chosen: GwCandidate | null = null;
  for (const c of gw.candidates.iterate(b.currency, day)) {
    attempt.considered++;
    const why = gwRejection(c, inserted);
    if (why === null) {
      chosen = c;
      break;
    }
    attempt.rejected_counts[why] = (attempt.rejected_counts[why] ?? 0) + 1;
    if (attempt.rejected.length < 50)
      attempt.rejected.push({ requisite_id: c.id, trader_id: c.trader_id, reason: why });
  }
  if (!chosen) {
    // Not reached by the bench (every order finds a requisite); souk would also queue a retry job.
    const o = gw.unassigned.get("retrying", "no requisite", JSON.stringify([attempt]), now, inserted.id)!;
    gwRecord(o, gwDetails(o, "new"), actor, now);
    return answer(201, o);
  }
  attempt.chosen = { requisite_id: chosen.id, trader_id: chosen.trader_id };

  // The hold: trader available -> trader held, as the ledger's transfer does it.
  const trader = String(chosen.trader_id);
  const from = gw.account.get(trader, "available", "USDT")!;
  const to = gw.account.get(trader, "held", "USDT") ?? gw.openAccount.get(trader, "held", "USDT", now)!;
  if (from.balance < amountCrypto) throw new HttpError(402, "insufficient_funds");
  gw.transfer.get(from.id, to.id, amountCrypto, String(inserted.id), `gw:${inserted.id}:hold`, now);
  gw.setBalance.run(from.balance - amountCrypto, from.id);
  gw.setBalance.run(to.balance + amountCrypto, to.id);
  gw.takeShare.run(day, b.amount, useStamp(now), chosen.id);

  const o = gw.assign.get(
    now,
    chosen.id,
    chosen.trader_id,
    chosen.trader_bps,
    gwCommission(amountCrypto, chosen.trader_bps),
    chosen.payment_method,
    chosen.bank,
    day,
    now,
    now + GW_PAYIN_TTL_MS,
    JSON.stringify([attempt]),
    inserted.id,
  )!;
  gwRecord(o, gwDetails(o, "new"), actor, now);
  return answer(201, o);
});

const PAYIN_KEYS = new Set([
  "store_id",
  "amount",
  "currency",
  "client_order_id",
  "customer_id",
  "customer_ip",
  "payment_method",
  "bank",
]);
const isId = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown, max: number) => typeof v === "string" && v.trim().length > 0 && v.length <= max;

/** One text per meaning, as souk hashes the creating request (keys sorted, flat body). */
const canonical = (o: Record<string, unknown>) =>
  `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`)
    .join(",")}}`;

async function createPayin(req: Request): Promise<Response> {
  // Merchants only: the role is read per request, as souk reads its principal.
  const claims = verifyJwt(req);
  if (!claims) return unauthenticated();
  const u = userRole.get(claims.sub);
  if (!u || u.is_banned) return unauthenticated();
  if (u.role !== "merchant" && u.role !== "admin")
    return json({ error: { code: "forbidden", message: "merchants only" } }, 403);
  let b: Record<string, unknown>;
  try {
    b = (await req.json()) as Record<string, unknown>;
  } catch {
    return json({ error: { code: "invalid_json" } }, 400);
  }
  if (
    !b ||
    typeof b !== "object" ||
    Object.keys(b).some((k) => !PAYIN_KEYS.has(k)) ||
    !isId(b.store_id) ||
    !isId(b.amount) ||
    typeof b.currency !== "string" ||
    !/^[A-Z]{3}$/.test(b.currency) ||
    !isText(b.client_order_id, 128) ||
    (b.customer_id !== undefined && !isText(b.customer_id, 200)) ||
    (b.customer_ip !== undefined && (typeof b.customer_ip !== "string" || isIP(b.customer_ip) === 0)) ||
    (b.payment_method !== undefined && !["card", "sbp", "account"].includes(b.payment_method as string)) ||
    (b.bank !== undefined && !isText(b.bank, 100))
  ) {
    return json({ error: { code: "validation_failed" } }, 400);
  }
  const hash = new Bun.CryptoHasher("sha256").update(canonical({ direction: "payin", ...b })).digest("hex");
  const actor = { id: claims.sub, ip: "127.0.0.1", requestId: crypto.randomUUID() };
  try {
    const r = payinTx.immediate(actor, b as PayinInput, hash, Date.now());
    const o = r.order;
    return json(
      {
        id: o.id,
        direction: o.direction,
        store_id: o.store_id,
        client_order_id: o.client_order_id,
        status: o.status,
        amount: o.amount,
        currency: o.currency,
        amount_crypto: o.amount_crypto,
        rate: o.rate,
        store_commission: o.store_commission,
        payment_method: o.payment_method,
        bank: o.bank,
        requisite: r.requisite,
        recipient: null,
        customer_id: o.customer_id,
        status_reason: o.status_reason,
        dispute_reason: o.dispute_reason,
        expires_at: iso(o.expires_at),
        assigned_at: iso(o.assigned_at),
        customer_confirmed_at: iso(o.customer_confirmed_at),
        completed_at: iso(o.completed_at),
        created_at: iso(o.created_at),
        updated_at: iso(o.updated_at),
      },
      r.status,
    );
  } catch (e) {
    return errorResponse(e);
  }
}

const ROUTES: Record<string, (req: Request) => Response | Promise<Response>> = {
  "POST /api/v1/gateway/payin": createPayin,
  "GET /api/v1/experts/dashboard/available-orders": availableOrders,
  "POST /api/v1/orders": createOrder,
  "GET /api/v1/users/me/balance": (req) => {
    const claims = verifyJwt(req);
    if (!claims) return unauthenticated();
    const now = Date.now();
    const held = heldSum.get(claims.sub, now)!.s;
    const total = spendable.get(claims.sub, now)!.s;
    const wallet = { available: 0, held: 0, currency: "RUB" };
    for (const a of walletRows.all(String(claims.sub), "RUB")) {
      if (a.kind === "available") wallet.available = a.balance;
      else if (a.kind === "held") wallet.held = a.balance;
    }
    const free = Math.max(0, total - held);
    return json({
      remaining_seconds: free,
      remaining_minutes: Math.floor(free / 60),
      held_seconds: held,
      grants: activeGrants.all(claims.sub, now).map((g) => ({
        id: g.id,
        package_id: g.package_id,
        remaining_seconds: g.remaining_seconds,
        total_seconds: g.total_seconds,
        purchased_at: iso(g.purchased_at),
        expires_at: iso(g.expires_at),
        status: "active",
      })),
      wallet,
    });
  },
  "POST /api/v1/usage/record": async (req) => {
    const claims = verifyJwt(req);
    if (!claims) return unauthenticated();
    const body = (await req.json()) as { id?: unknown; seconds?: unknown };
    if (typeof body.id !== "string" || !Number.isInteger(body.seconds) || (body.seconds as number) <= 0) {
      return json({ error: { code: "validation_failed" } }, 400);
    }
    const r = recordUsage.immediate(claims.sub, body.id, body.seconds as number, Date.now());
    return json(r.body, r.status);
  },
  "GET /healthz": () => {
    selectOne.get();
    return json({ status: "ok", db: "ok", time: new Date().toISOString() });
  },
  "GET /api/v1/me": (req) => {
    const claims = verifyJwt(req);
    if (!claims) return unauthenticated();
    const u = userById.get(claims.sub);
    if (!u) return unauthenticated();
    return json({
      id: u.id,
      email: u.email,
      username: u.username,
      telegram_id: u.telegram_id,
      role: u.role,
      first_name: u.first_name,
      last_name: u.last_name,
      bio: u.bio,
      experience_years: u.experience_years,
      education: u.education,
      skills: u.skills,
      avatar_url: u.avatar_url,
      is_banned: u.is_banned === 1,
      created_at: iso(u.created_at),
      last_login_at: iso(u.last_login_at),
      permissions: [...CLIENT_PERMISSIONS, ...(JSON.parse(u.granted_permissions) as string[])],
    });
  },
};

const server = Bun.serve({
  port: PORT,
  hostname: HOST,
  fetch(req) {
    const url = req.url;
    const start = url.indexOf("/", url.indexOf("://") + 3);
    const q = url.indexOf("?", start);
    const path = q < 0 ? url.slice(start) : url.slice(start, q);
    const route = ROUTES[`${req.method} ${path}`];
    if (route) return route(req);
    if (path.startsWith("/api/v1/orders/")) return orderAction(req, path);
    return json({ error: { code: "not_found", message: "no such route" } }, 404);
  },
});

const stop = () => {
  server.stop(true);
  db.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
