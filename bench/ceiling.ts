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
 */
import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
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

const ROUTES: Record<string, (req: Request) => Response | Promise<Response>> = {
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
