import { afterAll, describe, expect, test } from "bun:test";
import { write } from "../../src/db/write";
import { parseEnv } from "../../src/env";
import { requirePermission } from "../../src/http/auth";
import { flushSentry } from "../../src/modules/platform/critical-errors/sentry";
import { PermanentJobError } from "../../src/modules/platform/jobs/queue";
import { expectError, makeTestApp } from "../helpers/app";
import { type Envelope, eventOf, startFakeSentry } from "../helpers/fake-sentry";

const fake = startFakeSentry();
afterAll(() => fake.stop());

const withException = (text: string) => (e: Envelope) =>
  eventOf(e)?.exception?.values?.some((v: { value?: string }) => v.value?.includes(text)) ?? false;

function failingApp(env: Record<string, string>, message: string) {
  const t = makeTestApp(env);
  t.app.get("/api/v1/test/boom/:id", requirePermission("me:read"), () => {
    throw new TypeError(message);
  });
  return t;
}

describe("critical errors reach Sentry (a fake ingest on loopback)", () => {
  test("an unhandled 5xx: one envelope with the exception, its tags and the user id", async () => {
    const t = failingApp({ SENTRY_DSN: fake.dsn, SENTRY_RELEASE: "souk@test" }, "boom for sentry");
    const u = await t.user("client");
    const res = await t.call("GET", "/api/v1/test/boom/77", { token: u.token });
    expectError(res, 500, "internal");
    const requestId = res.headers.get("x-request-id")!;

    const envelope = await fake.waitFor(withException("boom for sentry"));
    expect(envelope.project).toBe("1");
    expect(envelope.sentryKey).toBe("publickey");
    const event = eventOf(envelope);
    expect(event.exception.values.at(-1)).toMatchObject({ type: "TypeError", value: "boom for sentry" });
    expect(event.exception.values.at(-1).stacktrace.frames.length).toBeGreaterThan(0);
    expect(event.level).toBe("error");
    expect(event.tags).toEqual({
      kind: "http",
      request_id: requestId,
      route: "/api/v1/test/boom/:id",
      method: "GET",
      status: "500",
    });
    expect(event.user).toEqual({ id: String(u.id) });
    expect(event.environment).toBe("test");
    expect(event.release).toBe("souk@test");
    // The stored row and the Sentry event point at each other.
    const row = t.ctx.sqlite.query("SELECT id FROM critical_errors").get() as { id: number };
    expect(event.extra).toEqual({ critical_error_id: row.id });
    // Ids in the path stay out of Sentry too.
    expect(JSON.stringify(event)).not.toContain("/boom/77");
  });

  test("a job that failed for good: tags kind, job_type and job_id, its attempts in extra", async () => {
    const t = makeTestApp({ SENTRY_DSN: fake.dsn });
    t.ctx.jobs.register("test.doomed", async () => {
      throw new PermanentJobError("the recipient is gone for good");
    });
    write(t.ctx, (tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type: "test.doomed", payload: {} }));
    await t.ctx.jobs.drain(t.ctx);

    const event = eventOf(await fake.waitFor(withException("the recipient is gone for good")));
    const jobId = (t.ctx.sqlite.query("SELECT id FROM jobs").get() as { id: number }).id;
    expect(event.tags).toEqual({ kind: "job", job_type: "test.doomed", job_id: String(jobId) });
    expect(event.extra).toMatchObject({ attempts: 1, permanent_error: true });
    expect(event.user).toBeUndefined();
  });

  test("without SENTRY_DSN nothing is sent; the error is still stored", async () => {
    const quiet = failingApp({}, "never sent to sentry");
    const loud = failingApp({ SENTRY_DSN: fake.dsn }, "sent after the quiet one");
    const u = await quiet.user("client");
    expectError(await quiet.call("GET", "/api/v1/test/boom/1", { token: u.token }), 500, "internal");
    const v = await loud.user("client");
    expectError(await loud.call("GET", "/api/v1/test/boom/1", { token: v.token }), 500, "internal");
    await fake.waitFor(withException("sent after the quiet one"));
    expect(await flushSentry()).toBe(true);
    expect(fake.envelopes.some(withException("never sent to sentry"))).toBe(false);
    expect(quiet.ctx.sqlite.query("SELECT message FROM critical_errors").all()).toEqual([
      { message: "never sent to sentry" },
    ]);
  });

  test("SENTRY_DSN must be a DSN: a typo stops souk at start", () => {
    for (const bad of ["sentry.io/1", "https://sentry.io/1", "https://key@sentry.io/", "ftp://key@host/1"]) {
      expect(() => parseEnv({ SENTRY_DSN: bad })).toThrow(/SENTRY_DSN/);
    }
    for (const good of [
      fake.dsn,
      "https://abc123@o1.ingest.sentry.io/4505",
      "https://k:s@host:9000/sentry/12",
    ]) {
      expect(parseEnv({ SENTRY_DSN: good }).SENTRY_DSN).toBe(good);
    }
  });
});
