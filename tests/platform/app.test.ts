import { describe, expect, test } from "bun:test";
import { expectError, makeTestApp } from "../helpers/app";

const t = makeTestApp();

describe("app shell", () => {
  test("GET /healthz and /api/health answer 200 with the database checked", async () => {
    for (const path of ["/healthz", "/api/health", "/api/health/", "/api/v1/health"]) {
      const r = await t.call("GET", path);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: "ok", db: "ok" });
    }
  });

  test("every response carries a request id and secure headers", async () => {
    const r = await t.call("GET", "/healthz");
    expect(r.headers.get("x-request-id")).toBeTruthy();
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  test("unknown routes get the 404 envelope", async () => {
    const e = expectError(await t.call("GET", "/api/v1/nothing-here"), 404, "not_found");
    expect(e.message).toContain("/api/v1/nothing-here");
    expectError(await t.call("GET", "/nothing"), 404, "not_found");
  });

  test("malformed JSON is 400 invalid_json and writes nothing", async () => {
    const e = expectError(
      await t.call("POST", "/api/v1/auth/register", { raw: "{not json" }),
      400,
      "invalid_json",
    );
    expect(e.request_id).toBeTruthy();
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM users").get()).toEqual({ n: 0 });
  });

  test("validation failures list every issue with its path", async () => {
    const r = await t.call("POST", "/api/v1/auth/register", {
      body: { email: "nope", password: 1, extra: true },
    });
    const e = expectError(r, 400, "validation_failed");
    const paths = e.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toContain("json.email");
    expect(paths).toContain("json.password");
  });

  test("a body over the limit is 413 payload_too_large", async () => {
    const big = JSON.stringify({ email: "a@b.co", password: "x".repeat(1024 * 1024 + 10) });
    expectError(await t.call("POST", "/api/v1/auth/register", { raw: big }), 413, "payload_too_large");
  });

  test("a wrong content type on a JSON route is 415", async () => {
    const r = await t.call("POST", "/api/v1/auth/login", {
      raw: "login=a",
      headers: { "content-type": "text/plain" },
    });
    expectError(r, 415, "unsupported_media_type");
  });

  test("/api aliases /api/v1 and trailing slashes are optional", async () => {
    const u = await t.user();
    for (const path of ["/api/me", "/api/me/", "/api/v1/me", "/api/v1/me/"]) {
      const r = await t.call("GET", path, { token: u.token });
      expect(r.status).toBe(200);
      expect(r.body.id).toBe(u.id);
    }
  });

  test("/openapi.json documents every route with its error responses", async () => {
    const r = await t.call("GET", "/openapi.json");
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe("3.1.0");
    const paths = Object.keys(r.body.paths);
    for (const p of [
      "/api/v1/auth/login",
      "/api/v1/me",
      "/api/v1/admin/system/settings",
      "/api/v1/notifications",
    ]) {
      expect(paths).toContain(p);
    }
    for (const [path, ops] of Object.entries<any>(r.body.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if (path.endsWith("/health")) continue;
        expect(Object.keys(op.responses), `${method} ${path}`).toContain("400");
        expect(op.responses["400"].content["application/json"].schema.$ref).toBe(
          "#/components/schemas/Error",
        );
      }
    }
  });

  test("/docs serves the Scalar reference and /metrics the Prometheus text", async () => {
    const docs = await t.app.request("/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/openapi.json");
    const metrics = await t.app.request("/metrics");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("http_request_duration_seconds");
  });
});
