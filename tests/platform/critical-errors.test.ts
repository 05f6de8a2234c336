import { beforeEach, describe, expect, spyOn, test } from "bun:test";
import { users } from "../../src/db/schema";
import { write } from "../../src/db/write";
import { requirePermission } from "../../src/http/auth";
import { ApiError } from "../../src/lib/errors";
import {
  KEEP_CRITICAL_ERRORS,
  recordCriticalError,
} from "../../src/modules/platform/critical-errors/service";
import { PermanentJobError } from "../../src/modules/platform/jobs/queue";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

type Row = Record<string, any>;
let t: TestApp;

/** A test app with routes that fail on purpose (added before its first request). */
function appWithFailingRoutes() {
  const app = makeTestApp();
  app.app.get("/api/v1/test/boom/:id", requirePermission("me:read"), () => {
    throw new TypeError("cannot read properties of undefined (reading 'x')");
  });
  app.app.get("/api/v1/test/public-boom", () => {
    throw new Error("public failure");
  });
  app.app.post("/api/v1/test/write-then-boom", (c) => {
    const ctx = c.get("ctx");
    write(ctx, (tx, now) => {
      tx.insert(users)
        .values({
          email: "ghost@test.local",
          username: "ghost",
          role: "client",
          createdAt: now,
          updatedAt: now,
        })
        .run();
      throw new RangeError("after the insert");
    });
    return c.json({}, 200);
  });
  app.app.get("/api/v1/test/bad-gateway", () => {
    throw new ApiError("provider_unavailable", "the provider is down");
  });
  return app;
}

const rows = (app: TestApp = t) =>
  app.ctx.sqlite.query("SELECT * FROM critical_errors ORDER BY id").all() as Row[];

beforeEach(() => {
  t = appWithFailingRoutes();
});

describe("unhandled 5xx answers are stored", () => {
  test("message, class, stack, request id, method, route pattern (not the path), status and actor", async () => {
    const u = await t.user("client");
    const res = await t.call("GET", "/api/v1/test/boom/4242?token=secret", { token: u.token });
    const err = expectError(res, 500, "internal");
    // The answer never carries the error itself.
    expect(err.message).toBe("internal server error");
    expect(JSON.stringify(res.body)).not.toContain("cannot read");

    const [row, ...more] = rows();
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      kind: "http",
      message: "cannot read properties of undefined (reading 'x')",
      error_name: "TypeError",
      request_id: res.headers.get("x-request-id"),
      method: "GET",
      route: "/api/v1/test/boom/:id",
      status: 500,
      actor_id: u.id,
      job_id: null,
      job_type: null,
      created_at: t.clock.now(),
    });
    expect(row!.request_id).toBe(err.request_id);
    expect(row!.stack).toContain("TypeError");
    expect(JSON.stringify(row)).not.toContain("4242");
    expect(JSON.stringify(row)).not.toContain("secret");
  });

  test("an anonymous call has no actor; a thrown non-Error (a job's rejection) is stored by its text", async () => {
    expectError(await t.call("GET", "/api/v1/test/public-boom"), 500, "internal");
    expect(rows()[0]).toMatchObject({
      route: "/api/v1/test/public-boom",
      message: "public failure",
      actor_id: null,
    });
    recordCriticalError(t.ctx, { kind: "job", error: "a thrown string" });
    recordCriticalError(t.ctx, { kind: "job", error: { code: 7 } });
    recordCriticalError(t.ctx, {
      kind: "job",
      error: new Error("wrapper", { cause: new Error("root cause") }),
    });
    expect(rows().slice(1)).toMatchObject([
      { message: "a thrown string", error_name: null, stack: null },
      { message: '{"code":7}', error_name: null, stack: null },
      { message: "wrapper", details: JSON.stringify({ cause: "root cause" }) },
    ]);
  });

  test("the record is its own write: the failed request's transaction still rolls back", async () => {
    const count = () => t.ctx.sqlite.query("SELECT count(*) AS n FROM users").get();
    const before = count();
    expectError(await t.call("POST", "/api/v1/test/write-then-boom", { body: {} }), 500, "internal");
    expect(count()).toEqual(before);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]).toMatchObject({
      method: "POST",
      error_name: "RangeError",
      message: "after the insert",
    });
  });

  test("a real route failing inside: its pattern, also when called through the /api alias", async () => {
    const admin = await t.user("admin");
    const real = t.ctx.sqlite.query.bind(t.ctx.sqlite);
    const spy = spyOn(t.ctx.sqlite, "query").mockImplementation(((sql: string) => {
      if (sql.includes("page_count")) throw new Error("disk I/O error");
      return real(sql);
    }) as typeof t.ctx.sqlite.query);
    try {
      expectError(await t.call("GET", "/api/admin/system/status/", { token: admin.token }), 500, "internal");
    } finally {
      spy.mockRestore();
    }
    expect(rows()[0]).toMatchObject({
      route: "/api/v1/admin/system/status",
      message: "disk I/O error",
      actor_id: admin.id,
    });
  });

  test("handled errors are not critical: 4xx answers and a provider's 502", async () => {
    const u = await t.user("client");
    expectError(await t.call("GET", "/api/v1/no/such/route"), 404, "not_found");
    expectError(await t.call("GET", "/api/v1/test/boom/1"), 401, "unauthenticated");
    expectError(
      await t.call("GET", "/api/v1/admin/logs/critical-errors", { token: u.token }),
      403,
      "forbidden",
    );
    expectError(await t.call("POST", "/api/v1/auth/login", { raw: "{nope" }), 400, "invalid_json");
    expectError(await t.call("GET", "/api/v1/test/bad-gateway"), 502, "provider_unavailable");
    expect(rows()).toEqual([]);
  });

  test("a store that fails never reaches the caller: the answer is still the 500 envelope", async () => {
    t.ctx.sqlite.exec("DROP TABLE critical_errors");
    const errors: unknown[] = [];
    const spy = spyOn(t.ctx.logger, "error").mockImplementation(((o: unknown) => {
      errors.push(o);
    }) as typeof t.ctx.logger.error);
    try {
      expectError(await t.call("GET", "/api/v1/test/public-boom"), 500, "internal");
      // And the app keeps answering.
      expect((await t.call("GET", "/api/v1/health")).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
    expect(errors.some((e) => String((e as { err?: Error }).err?.message).includes("critical_errors"))).toBe(
      true,
    );
  });

  test("a write that finds a transaction open waits for it instead of joining it", async () => {
    // A transaction held open and then rolled back must not take the record with it.
    t.ctx.sqlite.exec("BEGIN");
    recordCriticalError(t.ctx, { kind: "http", error: new Error("late"), route: "/x" });
    t.ctx.sqlite.exec("ROLLBACK");
    await new Promise((r) => setImmediate(r));
    expect(rows().map((r) => r.message)).toEqual(["late"]);
  });

  test(`the table keeps the newest ${KEEP_CRITICAL_ERRORS} rows, pruned every 100 inserts`, () => {
    const fill = t.ctx.sqlite.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
       INSERT INTO critical_errors (kind, message, details, created_at) SELECT 'http', 'old ' || i, '{}', i FROM n`,
    );
    fill.run(KEEP_CRITICAL_ERRORS + 99);
    recordCriticalError(t.ctx, { kind: "http", error: new Error("newest") });
    const { n, lo, hi } = t.ctx.sqlite
      .query("SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM critical_errors")
      .get() as { n: number; lo: number; hi: number };
    expect({ n, lo, hi }).toEqual({ n: KEEP_CRITICAL_ERRORS, lo: 101, hi: KEEP_CRITICAL_ERRORS + 100 });
    // Between multiples of 100 nothing is pruned (one DELETE per 100 rows).
    recordCriticalError(t.ctx, { kind: "http", error: new Error("one more") });
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM critical_errors").get()).toEqual({
      n: KEEP_CRITICAL_ERRORS + 1,
    });
  });
});

describe("jobs that fail for good are stored", () => {
  function enqueue(type: string, payload: Record<string, unknown> = {}) {
    write(t.ctx, (tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type, payload }));
    return (t.ctx.sqlite.query("SELECT max(id) AS id FROM jobs").get() as { id: number }).id;
  }

  test("after its last attempt: job id, type, attempts and the last error; not before", async () => {
    t.ctx.settings.setNow({ MAX_ORDER_RETRIES: 2 }, t.clock.now());
    let n = 0;
    t.ctx.jobs.register("test.flaky", async () => {
      n++;
      throw new Error(`attempt ${n} failed`);
    });
    const id = enqueue("test.flaky", { email: "someone@test.local" });
    for (let i = 0; i < 3; i++) {
      await t.ctx.jobs.drain(t.ctx);
      if (i < 2) expect(rows()).toEqual([]);
      t.clock.advance(3600_000);
    }
    expect(n).toBe(3);
    const job = t.ctx.sqlite.query("SELECT status FROM jobs WHERE id = ?").get(id) as { status: string };
    expect(job.status).toBe("failed");
    const [row, ...more] = rows();
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      kind: "job",
      job_id: id,
      job_type: "test.flaky",
      message: "attempt 3 failed",
      error_name: "Error",
      request_id: null,
      route: null,
    });
    expect(JSON.parse(row!.details)).toEqual({ attempts: 3, max_attempts: 3, permanent_error: false });
    // The payload (personal data, often) is not copied into the log.
    expect(JSON.stringify(row)).not.toContain("someone@test.local");
  });

  test("a PermanentJobError is stored at once; a job that succeeds is not", async () => {
    t.ctx.jobs.register("test.blocked", async () => {
      throw new PermanentJobError("chat blocked the bot");
    });
    t.ctx.jobs.register("test.fine", async () => {});
    const bad = enqueue("test.blocked");
    enqueue("test.fine");
    await t.ctx.jobs.drain(t.ctx);
    expect(rows()).toHaveLength(1);
    expect(rows()[0]).toMatchObject({ job_id: bad, job_type: "test.blocked", error_name: "Error" });
    expect(JSON.parse(rows()[0]!.details)).toMatchObject({ attempts: 1, permanent_error: true });
  });

  test("a store that fails does not stop the queue recording the outcome", async () => {
    t.ctx.jobs.register("test.blocked", async () => {
      throw new PermanentJobError("no");
    });
    t.ctx.jobs.register("test.fine", async () => {});
    t.ctx.sqlite.exec("DROP TABLE critical_errors");
    const errorLog = spyOn(t.ctx.logger, "error").mockImplementation((() => {}) as typeof t.ctx.logger.error);
    try {
      const bad = enqueue("test.blocked");
      const good = enqueue("test.fine");
      expect(await t.ctx.jobs.drain(t.ctx)).toBe(2);
      const status = (id: number) =>
        (t.ctx.sqlite.query("SELECT status FROM jobs WHERE id = ?").get(id) as { status: string }).status;
      expect([status(bad), status(good)]).toEqual(["failed", "done"]);
      expect(errorLog).toHaveBeenCalled();
    } finally {
      errorLog.mockRestore();
    }
  });
});

describe("GET /api/v1/admin/logs/critical-errors", () => {
  const list = (token: string, query = "") =>
    t.call("GET", `/api/v1/admin/logs/critical-errors${query}`, { token });

  async function seedErrors() {
    const u = await t.user("client");
    const day = 86400_000;
    t.clock.set(Date.parse("2026-03-01T10:00:00Z"));
    await t.call("GET", "/api/v1/test/boom/1", { token: u.token });
    t.clock.set(Date.parse("2026-03-02T10:00:00Z"));
    const second = await t.call("GET", "/api/v1/test/public-boom");
    t.clock.set(Date.parse("2026-03-02T10:00:00Z") + day / 2);
    recordCriticalError(t.ctx, { kind: "job", error: new Error("gone"), jobId: 9, jobType: "email.send" });
    return { requestId: second.headers.get("x-request-id")! };
  }

  test("admins and support read it newest first; details of each row", async () => {
    const { requestId } = await seedErrors();
    for (const role of ["admin", "support"] as const) {
      const staff = await t.user(role);
      const res = await list(staff.token);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(3);
      expect(res.body.results.map((r: Row) => r.kind)).toEqual(["job", "http", "http"]);
      expect(res.body.results[0]).toMatchObject({
        kind: "job",
        message: "gone",
        job_id: 9,
        job_type: "email.send",
        created_at: "2026-03-02T22:00:00.000Z",
      });
      expect(res.body.results[1]).toMatchObject({
        kind: "http",
        request_id: requestId,
        route: "/api/v1/test/public-boom",
        method: "GET",
        status: 500,
        details: {},
      });
    }
  });

  test("filters: kind, from, to (a date is the whole day), route, request_id, job_type; pages", async () => {
    const { requestId } = await seedErrors();
    const admin = await t.user("admin");
    const ids = async (q: string) => {
      const res = await list(admin.token, q);
      expect(res.status).toBe(200);
      return res.body.results.map((r: Row) => r.route ?? r.job_type);
    };
    expect(await ids("?kind=http")).toEqual(["/api/v1/test/public-boom", "/api/v1/test/boom/:id"]);
    expect(await ids("?kind=job")).toEqual(["email.send"]);
    expect(await ids("?from=2026-03-02")).toEqual(["email.send", "/api/v1/test/public-boom"]);
    expect(await ids("?to=2026-03-01")).toEqual(["/api/v1/test/boom/:id"]);
    expect(await ids("?to=2026-03-02T10:00:00Z")).toEqual([
      "/api/v1/test/public-boom",
      "/api/v1/test/boom/:id",
    ]);
    expect(await ids("?from=2026-03-01T12:00:00Z&to=2026-03-02")).toEqual([
      "email.send",
      "/api/v1/test/public-boom",
    ]);
    expect(await ids(`?route=${encodeURIComponent("/api/v1/test/boom/:id")}`)).toEqual([
      "/api/v1/test/boom/:id",
    ]);
    expect(await ids(`?request_id=${requestId}`)).toEqual(["/api/v1/test/public-boom"]);
    expect(await ids("?job_type=email.send")).toEqual(["email.send"]);
    expect(await ids("?route=/nowhere")).toEqual([]);

    const p1 = await list(admin.token, "?page_size=2&kind=http");
    expect(p1.body).toMatchObject({ count: 2, next: null, previous: null });
    const p2 = await list(admin.token, "?page_size=1&page=2");
    expect(p2.body.count).toBe(3);
    expect(p2.body.results.map((r: Row) => r.route)).toEqual(["/api/v1/test/public-boom"]);
    expect(p2.body.next).toContain("page=3");
    expect(p2.body.previous).toContain("page=1");
  });

  test("bad filters are 400 validation_failed", async () => {
    const admin = await t.user("admin");
    for (const q of ["?kind=cron", "?from=yesterday", "?to=2026-13-01", "?page_size=101", "?route="]) {
      expectError(await list(admin.token, q), 400, "validation_failed");
    }
  });

  test("security: anonymous 401; clients, merchants, traders, teamleads and experts 403; a grant of system:read opens it", async () => {
    await seedErrors();
    expectError(await t.call("GET", "/api/v1/admin/logs/critical-errors"), 401, "unauthenticated");
    for (const role of ["client", "merchant", "trader", "teamlead", "expert"] as const) {
      const u = await t.user(role);
      expectError(await list(u.token), 403, "forbidden");
    }
    // A client granted system:read by an admin may read it.
    const granted = await t.user("client", { grantedPermissions: ["system:read"] });
    expect((await list(granted.token)).status).toBe(200);
  });
});
