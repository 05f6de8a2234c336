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
  "INSERT INTO events (type, actor_id, subject_type, subject_id, payload, created_at) VALUES ('usage.recorded', ?, 'usage', ?, ?, ?)",
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
  insertEvent.run(userId, id, JSON.stringify({ seconds, billed_seconds: billed }), now);
  return {
    status: 201,
    body: { id, seconds, billed_seconds: billed, remaining_seconds: free - billed, allocations },
  };
});

const ROUTES: Record<string, (req: Request) => Response | Promise<Response>> = {
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
    return route ? route(req) : json({ error: { code: "not_found", message: "no such route" } }, 404);
  },
});

const stop = () => {
  server.stop(true);
  db.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
