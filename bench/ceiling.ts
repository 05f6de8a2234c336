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

// The columns souk's GET /me returns, in a table shaped like souk's `users`.
db.exec(`CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT UNIQUE,
  username TEXT UNIQUE,
  telegram_id INTEGER UNIQUE,
  role TEXT NOT NULL DEFAULT 'client',
  first_name TEXT, last_name TEXT, bio TEXT, experience_years INTEGER, education TEXT, skills TEXT,
  avatar_url TEXT,
  granted_permissions TEXT NOT NULL DEFAULT '[]',
  is_banned INTEGER NOT NULL DEFAULT 0,
  last_login_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
)`);

const existing = db.query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()!.n;
if (existing < SEED_USERS) {
  const ins = db.query(
    "INSERT OR IGNORE INTO users (id, email, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  db.transaction(() => {
    for (let id = 1; id <= SEED_USERS; id++) ins.run(id, `user${id}@bench.local`, "client", now, now);
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

const ROUTES: Record<string, (req: Request) => Response> = {
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
