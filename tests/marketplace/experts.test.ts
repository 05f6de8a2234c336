import { beforeEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let admin: U;
let client: U;

const V1 = "/api/v1";
const count = (table: string, where = "1", app: TestApp = t) =>
  (app.ctx.sqlite.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get() as { n: number }).n;
const auditRows = (action: string) =>
  t.ctx.sqlite.query("SELECT * FROM audit_log WHERE action = ? ORDER BY id").all(action) as any[];
const eventRows = (type: string) =>
  t.ctx.sqlite.query("SELECT * FROM events WHERE type = ? ORDER BY id").all(type) as any[];
const notificationsOf = (userId: number) =>
  t.ctx.sqlite.query("SELECT * FROM notifications WHERE user_id = ? ORDER BY id").all(userId) as any[];
const userRow = (id: number) => t.ctx.sqlite.query("SELECT * FROM users WHERE id = ?").get(id) as any;

const get = (path: string, token?: string) => t.call("GET", `${V1}${path}`, { token });
/** As admin unless a token is given; "" sends none. */
const post = (path: string, body: unknown, token: string = admin.token) =>
  t.call("POST", `${V1}${path}`, { token, body });
const del = (path: string, token?: string) => t.call("DELETE", `${V1}${path}`, { token });
const nowIso = () => new Date(t.clock.now()).toISOString();

beforeEach(async () => {
  t = makeTestApp();
  admin = await t.user("admin");
  client = await t.user("client");
});

// ---------------------------------------------------------------- applications

describe("POST /experts/applications", () => {
  const BODY = { bio: "Tutor", experience_years: 7, education: "MSU, maths", skills: "calculus, LaTeX" };

  test("a client applies: 201 pending, with its event; listed under /applications/me", async () => {
    const r = await post("/experts/applications", BODY, client.token);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      user_id: client.id,
      status: "pending",
      ...BODY,
      reject_reason: null,
      reviewed_by: null,
      reviewed_at: null,
      created_at: nowIso(),
      updated_at: nowIso(),
    });
    expect(eventRows("expert_application.submitted")).toMatchObject([
      { actor_id: client.id, subject_type: "expert_application", subject_id: String(r.body.id) },
    ]);
    const mine = await get("/experts/applications/me", client.token);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({ results: [r.body] });
    // Also under the /api alias.
    expect((await t.call("GET", "/api/experts/applications/me/", { token: client.token })).body).toEqual(
      mine.body,
    );
  });

  test("every field is optional: an empty object or no body at all", async () => {
    const r = await post("/experts/applications", {}, client.token);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ bio: null, experience_years: null, education: null, skills: null });
    const other = await t.user("client");
    const noBody = await t.call("POST", `${V1}/experts/applications`, { token: other.token });
    expect(noBody.status).toBe(201);
  });

  test("409 while one is pending; nothing written", async () => {
    const first = await post("/experts/applications", BODY, client.token);
    const r = await post("/experts/applications", { bio: "again" }, client.token);
    expect(expectError(r, 409, "conflict").details).toEqual({ application_id: first.body.id });
    expect(count("expert_applications")).toBe(1);
    expect(eventRows("expert_application.submitted")).toHaveLength(1);
  });

  test("409 for a user who already is an expert; 403 for an expert without experts:apply", async () => {
    const granted = await t.user("expert", { grantedPermissions: ["experts:apply"] });
    expectError(await post("/experts/applications", BODY, granted.token), 409, "conflict");
    const expert = await makeExpert(t);
    expectError(await post("/experts/applications", BODY, expert.token), 403, "forbidden");
    expect(count("expert_applications")).toBe(0);
  });

  test("bad bodies are 400 and write nothing", async () => {
    const bad: unknown[] = [
      { experience_years: -1 },
      { experience_years: 81 },
      { experience_years: 2.5 },
      { experience_years: "5" },
      { bio: 5 },
      { bio: "x".repeat(5001) },
      { skills: "x".repeat(2001) },
      { role: "admin" },
      { bio: "ok", status: "approved" },
    ];
    for (const body of bad)
      expectError(await post("/experts/applications", body, client.token), 400, "validation_failed");
    expectError(
      await t.call("POST", `${V1}/experts/applications`, { token: client.token, raw: "{nope" }),
      400,
      "invalid_json",
    );
    expect(count("expert_applications")).toBe(0);
  });

  test("401 without a token; /applications/me shows only the caller's", async () => {
    expectError(await post("/experts/applications", BODY, ""), 401, "unauthenticated");
    expectError(await get("/experts/applications/me"), 401, "unauthenticated");
    await post("/experts/applications", BODY, client.token);
    const other = await t.user("client");
    expect((await get("/experts/applications/me", other.token)).body).toEqual({ results: [] });
  });
});

describe("admin: expert applications", () => {
  async function apply(u: U = client, body: Record<string, unknown> = { bio: "Bio", experience_years: 3 }) {
    const r = await post("/experts/applications", body, u.token);
    expect(r.status).toBe(201);
    return r.body;
  }

  test("list: newest first, with the applicant, by status, paginated", async () => {
    const a1 = await apply();
    const other = await t.user("client", { firstName: "Olga" });
    const a2 = await apply(other);
    await post(`/admin/experts/applications/${a1.id}/reject`, {});

    const r = await get("/admin/experts/applications", admin.token);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ count: 2, next: null, previous: null });
    expect(r.body.results.map((x: any) => x.id)).toEqual([a2.id, a1.id]);
    expect(r.body.results[0].user).toEqual({
      id: other.id,
      username: other.username,
      email: other.email,
      first_name: "Olga",
      last_name: null,
      role: "client",
    });
    const pending = await get("/admin/experts/applications?status=pending", admin.token);
    expect(pending.body.results.map((x: any) => x.id)).toEqual([a2.id]);
    const p = await get("/admin/experts/applications?page_size=1&page=2", admin.token);
    expect(p.body.results.map((x: any) => x.id)).toEqual([a1.id]);
    expect(p.body.previous).toBe(`${V1}/admin/experts/applications?page_size=1&page=1`);
    expectError(await get("/admin/experts/applications?status=done", admin.token), 400, "validation_failed");
  });

  test("approve: the client becomes an expert with the profile fields, a profile row, notified, audited", async () => {
    const u = await t.user("client", { education: "kept", skills: "old" });
    const a = await apply(u, { bio: "New bio", experience_years: 4, skills: "algebra" });
    t.clock.advance(3_600_000);
    const r = await post(`/admin/experts/applications/${a.id}/approve`, undefined);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: a.id,
      status: "approved",
      reviewed_by: admin.id,
      reviewed_at: nowIso(),
      updated_at: nowIso(),
      reject_reason: null,
    });
    const row = userRow(u.id);
    expect(row).toMatchObject({
      role: "expert",
      bio: "New bio",
      experience_years: 4,
      skills: "algebra",
      // A field the application left out keeps the user's value.
      education: "kept",
    });
    const profile = t.ctx.sqlite.query("SELECT * FROM expert_profiles WHERE user_id = ?").get(u.id) as any;
    expect(profile).toMatchObject({ is_active: 1, suspended_reason: null, approved_at: t.clock.now() });

    const [n] = notificationsOf(u.id);
    expect(n).toMatchObject({ type: "application_approved", is_read: 0 });
    expect(JSON.parse(n.data)).toEqual({ application_id: a.id });
    const [au] = auditRows("expert_application.approved");
    expect(au).toMatchObject({
      actor_id: admin.id,
      target_type: "expert_application",
      target_id: String(a.id),
    });
    expect(JSON.parse(au.details)).toEqual({ user_id: u.id, role_from: "client", role_to: "expert" });
    expect(eventRows("expert_application.approved")).toHaveLength(1);

    // The same token now carries expert powers (the role is read per request).
    const subject = makeSubject(t);
    expect((await post("/experts/specializations", { subject_id: subject.id }, u.token)).status).toBe(201);
    // And the applicant sees the decision.
    expect((await get("/experts/applications/me", u.token)).body.results[0].status).toBe("approved");
  });

  test("approve keeps a non-client's role (an admin applying) but creates the profile", async () => {
    const boss = await t.user("admin");
    const a = await apply(boss);
    expect((await post(`/admin/experts/applications/${a.id}/approve`, {})).status).toBe(200);
    expect(userRow(boss.id).role).toBe("admin");
    expect(count("expert_profiles", `user_id = ${boss.id}`)).toBe(1);
  });

  test("reject: with or without a reason, notified, audited; the client may apply again", async () => {
    const a = await apply();
    const r = await post(`/admin/experts/applications/${a.id}/reject`, { reason: "Not enough experience" });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "rejected",
      reject_reason: "Not enough experience",
      reviewed_by: admin.id,
    });
    expect(userRow(client.id).role).toBe("client");
    expect(count("expert_profiles")).toBe(0);
    const [n] = notificationsOf(client.id);
    expect(n.type).toBe("application_rejected");
    expect(n.message).toContain("Not enough experience");
    expect(JSON.parse(auditRows("expert_application.rejected")[0].details)).toEqual({
      user_id: client.id,
      reason: "Not enough experience",
    });
    expect(eventRows("expert_application.rejected")).toHaveLength(1);

    const b = await apply();
    const r2 = await t.call("POST", `${V1}/admin/experts/applications/${b.id}/reject`, {
      token: admin.token,
    });
    expect(r2.status).toBe(200);
    expect(r2.body.reject_reason).toBeNull();
  });

  test("deciding a decided application is 409 invalid_transition {from, to}; nothing changes", async () => {
    const a = await apply();
    await post(`/admin/experts/applications/${a.id}/reject`, { reason: "no" });
    const e1 = expectError(
      await post(`/admin/experts/applications/${a.id}/approve`, {}),
      409,
      "invalid_transition",
    );
    expect(e1.details).toEqual({ from: "rejected", to: "approved" });
    const e2 = expectError(
      await post(`/admin/experts/applications/${a.id}/reject`, {}),
      409,
      "invalid_transition",
    );
    expect(e2.details).toEqual({ from: "rejected", to: "rejected" });
    expect(userRow(client.id).role).toBe("client");
    expect(notificationsOf(client.id)).toHaveLength(1);
    expect(eventRows("expert_application.approved")).toHaveLength(0);

    const other = await t.user("client");
    const b = await apply(other);
    await post(`/admin/experts/applications/${b.id}/approve`, {});
    const e3 = expectError(
      await post(`/admin/experts/applications/${b.id}/reject`, {}),
      409,
      "invalid_transition",
    );
    expect(e3.details).toEqual({ from: "approved", to: "rejected" });
    expect(userRow(other.id).role).toBe("expert");
  });

  test("unknown id 404; bad bodies 400; wrong role 403; no token 401 — nothing changes", async () => {
    const a = await apply();
    expectError(await post("/admin/experts/applications/999/approve", {}), 404, "not_found");
    expectError(await post("/admin/experts/applications/999/reject", {}), 404, "not_found");
    expectError(
      await post(`/admin/experts/applications/${a.id}/approve`, { force: true }),
      400,
      "validation_failed",
    );
    expectError(
      await post(`/admin/experts/applications/${a.id}/reject`, { reason: "" }),
      400,
      "validation_failed",
    );
    expectError(
      await post(`/admin/experts/applications/${a.id}/reject`, { reason: 5 }),
      400,
      "validation_failed",
    );
    expectError(await post("/admin/experts/applications/x/approve", {}), 400, "validation_failed");
    const expert = await makeExpert(t);
    const support = await t.user("support");
    for (const token of [client.token, expert.token, support.token]) {
      expectError(await post(`/admin/experts/applications/${a.id}/approve`, {}, token), 403, "forbidden");
      expectError(await post(`/admin/experts/applications/${a.id}/reject`, {}, token), 403, "forbidden");
      expectError(await get("/admin/experts/applications", token), 403, "forbidden");
    }
    expectError(await post(`/admin/experts/applications/${a.id}/approve`, {}, ""), 401, "unauthenticated");
    expectError(await get("/admin/experts/applications"), 401, "unauthenticated");
    expect(count("expert_applications", "status = 'pending'")).toBe(1);
    expect(userRow(client.id).role).toBe("client");
    expect(count("audit_log")).toBe(0);
  });

  test("staff granted experts:read list, experts:review decide", async () => {
    const a = await apply();
    const reader = await t.user("support", { grantedPermissions: ["experts:read"] });
    expect((await get("/admin/experts/applications", reader.token)).status).toBe(200);
    expectError(
      await post(`/admin/experts/applications/${a.id}/approve`, {}, reader.token),
      403,
      "forbidden",
    );
    const reviewer = await t.user("support", { grantedPermissions: ["experts:review"] });
    expect((await post(`/admin/experts/applications/${a.id}/approve`, {}, reviewer.token)).status).toBe(200);
  });
});

// ---------------------------------------------------------------- documents

const PDF = new Uint8Array([
  0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a, 0x31, 0x20, 0x30,
]);
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
]);
const pdfOf = (size: number) => {
  const b = new Uint8Array(size).fill(0x20);
  b.set(PDF);
  return b;
};

async function upload(
  token: string | undefined,
  parts: { file?: File; title?: string } = {},
  app: TestApp = t,
  headers: Record<string, string> = {},
) {
  const form = new FormData();
  if (parts.file) form.append("file", parts.file);
  if (parts.title !== undefined) form.append("title", parts.title);
  const res = await app.app.request(`${V1}/experts/documents`, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** A hand-built multipart body (fixed boundary, so two sends are byte-identical). */
function rawMultipart(boundary: string, title: string, file: Uint8Array) {
  return Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${title}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    ),
    Buffer.from(file),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

const uploadsDir = (app: TestApp = t) => join(app.ctx.env.DATA_DIR, "uploads");
const storedFiles = (app: TestApp = t) => (existsSync(uploadsDir(app)) ? readdirSync(uploadsDir(app)) : []);

describe("expert documents", () => {
  let expert: U;
  beforeEach(async () => {
    expert = await makeExpert(t);
  });

  test("an expert uploads a PDF with a title: 201, bytes stored, rows and event written", async () => {
    const r = await upload(expert.token, { file: new File([PDF], "diploma.pdf"), title: "  Diploma " });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      user_id: expert.id,
      title: "Diploma",
      is_verified: false,
      verified_by: null,
      verified_at: null,
      file: {
        id: expect.any(Number),
        name: "diploma.pdf",
        content_type: "application/pdf",
        size: PDF.length,
        sha256: new Bun.CryptoHasher("sha256").update(PDF).digest("hex"),
        created_at: nowIso(),
      },
      created_at: nowIso(),
    });
    const f = t.ctx.sqlite.query("SELECT * FROM files WHERE id = ?").get(r.body.file.id) as any;
    expect(f).toMatchObject({ owner_id: expert.id, purpose: "expert_document" });
    expect(storedFiles()).toEqual([f.storage_key]);
    expect(eventRows("expert_document.uploaded")).toMatchObject([
      { actor_id: expert.id, subject_type: "expert_document", subject_id: String(r.body.id) },
    ]);
  });

  test("the type comes from the bytes: a PNG named .pdf is stored as image/png", async () => {
    const r = await upload(expert.token, {
      file: new File([PNG], "scan.pdf", { type: "application/pdf" }),
      title: "Scan",
    });
    expect(r.status).toBe(201);
    expect(r.body.file.content_type).toBe("image/png");
  });

  test("GET /experts/documents lists only the caller's, newest first", async () => {
    const a = await upload(expert.token, { file: new File([PDF], "a.pdf"), title: "A" });
    const b = await upload(expert.token, { file: new File([PNG], "b.png"), title: "B" });
    const other = await makeExpert(t);
    await upload(other.token, { file: new File([PDF], "c.pdf"), title: "C" });
    const r = await get("/experts/documents", expert.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ results: [b.body, a.body] });
    expectError(await get("/experts/documents", client.token), 403, "forbidden");
    expectError(await get("/experts/documents"), 401, "unauthenticated");
  });

  test("the file: its owner and staff with experts:read download it; anyone else gets 404", async () => {
    const d = (await upload(expert.token, { file: new File([PDF], "my cv (final).pdf"), title: "CV" })).body;
    const path = `${V1}/experts/documents/${d.id}/file`;
    for (const token of [expert.token, admin.token]) {
      const res = await t.app.request(path, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/pdf");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="my cv _final_.pdf"');
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
    }
    const reader = await t.user("support", { grantedPermissions: ["experts:read"] });
    expect((await t.app.request(path, { headers: { authorization: `Bearer ${reader.token}` } })).status).toBe(
      200,
    );

    const other = await makeExpert(t);
    const support = await t.user("support");
    for (const token of [other.token, client.token, support.token]) {
      expectError(await t.call("GET", path, { token }), 404, "not_found");
    }
    expectError(await t.call("GET", path), 401, "unauthenticated");
    expectError(await get("/experts/documents/999/file", admin.token), 404, "not_found");
    expectError(await get("/experts/documents/abc/file", admin.token), 400, "validation_failed");
  });

  test("413 over UPLOAD_MAX_BYTES (checked by readUpload and by the body limit); nothing stored", async () => {
    const small = makeTestApp({ UPLOAD_MAX_BYTES: "2048" });
    const ex = await small.user("expert");
    const ok = await upload(ex.token, { file: new File([pdfOf(2048)], "ok.pdf"), title: "Fits" }, small);
    expect(ok.status).toBe(201);
    const over = await upload(ex.token, { file: new File([pdfOf(2049)], "big.pdf"), title: "Big" }, small);
    expectError(over, 413, "payload_too_large");
    // Far beyond: refused by the body limit before the body is read.
    const huge = await upload(
      ex.token,
      { file: new File([pdfOf(200_000)], "huge.pdf"), title: "Huge" },
      small,
    );
    expectError(huge, 413, "payload_too_large");
    expect(count("expert_documents", "1", small)).toBe(1);
    expect(count("files", "1", small)).toBe(1);
    expect(storedFiles(small)).toHaveLength(1);
  });

  test("415 for a file that is not PDF/PNG/JPEG/WebP, for a JSON body and for a urlencoded form", async () => {
    const text = await upload(expert.token, {
      file: new File(["just some text"], "notes.pdf", { type: "application/pdf" }),
      title: "Notes",
    });
    expectError(text, 415, "unsupported_media_type");
    const json = await t.call("POST", `${V1}/experts/documents`, {
      token: expert.token,
      body: { title: "JSON", file: "JVBERi0=" },
    });
    expect(expectError(json, 415, "unsupported_media_type").message).toBe(
      "send the file as multipart/form-data",
    );
    expectError(
      await t.call("POST", `${V1}/experts/documents`, { token: expert.token }),
      415,
      "unsupported_media_type",
    );
    const plain = await t.call("POST", `${V1}/experts/documents`, {
      token: expert.token,
      raw: "hello",
      headers: { "content-type": "text/plain" },
    });
    expectError(plain, 415, "unsupported_media_type");
    const urlencoded = await t.call("POST", `${V1}/experts/documents`, {
      token: expert.token,
      raw: "title=Form&file=abc",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectError(urlencoded, 415, "unsupported_media_type");
    expect(count("expert_documents")).toBe(0);
    expect(count("files")).toBe(0);
    expect(storedFiles()).toEqual([]);
  });

  test("400 when the file or the title is missing, empty or malformed; nothing stored", async () => {
    const cases = [
      { title: "No file" },
      { file: new File([PDF], "a.pdf") },
      { file: new File([PDF], "a.pdf"), title: "" },
      { file: new File([PDF], "a.pdf"), title: "   " },
      { file: new File([PDF], "a.pdf"), title: "x".repeat(201) },
      { file: new File([], "empty.pdf"), title: "Empty" },
    ];
    for (const parts of cases) expectError(await upload(expert.token, parts), 400, "validation_failed");
    // The file sent as a text field is not a file.
    const form = new FormData();
    form.append("file", "JVBERi0xLjQ=");
    form.append("title", "Text");
    const res = await t.app.request(`${V1}/experts/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${expert.token}` },
      body: form,
    });
    expect(res.status).toBe(400);
    // A truncated multipart body.
    const broken = await t.call("POST", `${V1}/experts/documents`, {
      token: expert.token,
      raw: '--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nT',
      headers: { "content-type": "multipart/form-data; boundary=xyz" },
    });
    expectError(broken, 400, "validation_failed");
    expect(count("expert_documents")).toBe(0);
    expect(storedFiles()).toEqual([]);
  });

  test("any well-formed multipart Content-Type is accepted (parameters before boundary, quoted boundary)", async () => {
    for (const [i, type] of [
      "multipart/form-data; charset=utf-8; boundary=b1",
      'multipart/form-data; boundary="b1"',
      "multipart/form-data;boundary=b1",
    ].entries()) {
      const res = await t.app.request(`${V1}/experts/documents`, {
        method: "POST",
        headers: { authorization: `Bearer ${expert.token}`, "content-type": type },
        body: rawMultipart("b1", `Doc ${i}`, PDF),
      });
      expect([type, res.status]).toEqual([type, 201]);
    }
    expect(count("expert_documents")).toBe(3);
  });

  test("401 without a token, 403 for a client (checked before the body is read)", async () => {
    expectError(
      await upload(undefined, { file: new File([PDF], "a.pdf"), title: "T" }),
      401,
      "unauthenticated",
    );
    expectError(await upload(client.token, { file: new File([PDF], "a.pdf"), title: "T" }), 403, "forbidden");
    expectError(
      await t.call("POST", `${V1}/experts/documents`, { token: client.token, body: { title: "T" } }),
      403,
      "forbidden",
    );
    expect(count("files")).toBe(0);
  });

  test("Idempotency-Key on an upload replays the first response and stores once", async () => {
    const boundary = "souk-test-boundary";
    const body = rawMultipart(boundary, "Diploma", PDF);
    const send = () =>
      t.app.request(`${V1}/experts/documents`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${expert.token}`,
          "content-type": `multipart/form-data; boundary=${boundary}`,
          "idempotency-key": "doc-1",
        },
        body,
      });
    const first = await send();
    expect(first.status).toBe(201);
    const firstBody: any = await first.json();
    expect(firstBody.title).toBe("Diploma");
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(firstBody);
    expect(count("expert_documents")).toBe(1);
    expect(storedFiles()).toHaveLength(1);
  });

  test("the OpenAPI document describes the multipart body", async () => {
    const doc = (await t.call("GET", "/openapi.json")).body;
    const op = doc.paths["/api/v1/experts/documents"].post;
    const schema = op.requestBody.content["multipart/form-data"].schema;
    expect(schema.properties.file).toMatchObject({ type: "string", format: "binary" });
    expect(schema.required).toEqual(expect.arrayContaining(["title"]));
  });
});

describe("admin: expert documents", () => {
  let expert: U;
  let doc: any;
  beforeEach(async () => {
    expert = await makeExpert(t, [], { firstName: "Ivan" });
    doc = (await upload(expert.token, { file: new File([PDF], "d.pdf"), title: "Diploma" })).body;
  });

  test("list with the owner, by verification", async () => {
    const other = await makeExpert(t);
    const d2 = (await upload(other.token, { file: new File([PNG], "p.png"), title: "Photo" })).body;
    await post(`/admin/experts/documents/${d2.id}/verify`, {});
    const r = await get("/admin/experts/documents", admin.token);
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(2);
    expect(r.body.results.map((x: any) => x.id)).toEqual([d2.id, doc.id]);
    expect(r.body.results[1]).toEqual({
      ...doc,
      user: {
        id: expert.id,
        username: expert.username,
        email: expert.email,
        first_name: "Ivan",
        last_name: null,
        role: "expert",
      },
    });
    const unverified = await get("/admin/experts/documents?verified=false", admin.token);
    expect(unverified.body.results.map((x: any) => x.id)).toEqual([doc.id]);
    const verified = await get("/admin/experts/documents?verified=true", admin.token);
    expect(verified.body.results.map((x: any) => x.id)).toEqual([d2.id]);
    expectError(await get("/admin/experts/documents?verified=1", admin.token), 400, "validation_failed");
  });

  test("verify: 200 verified, owner notified, audited, event; verifying again changes nothing", async () => {
    t.clock.advance(1000);
    const r = await post(`/admin/experts/documents/${doc.id}/verify`, undefined);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...doc, is_verified: true, verified_by: admin.id, verified_at: nowIso() });
    const ns = notificationsOf(expert.id);
    expect(ns).toHaveLength(1);
    expect(ns[0]).toMatchObject({ type: "document_verified" });
    expect(JSON.parse(ns[0].data)).toEqual({ document_id: doc.id });
    expect(eventRows("expert_document.verified")).toHaveLength(1);

    const again = await post(`/admin/experts/documents/${doc.id}/verify`, {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(r.body);
    expect(notificationsOf(expert.id)).toHaveLength(1);
    expect(eventRows("expert_document.verified")).toHaveLength(1);
    expect(auditRows("expert_document.verified").map((a) => JSON.parse(a.details).was_verified)).toEqual([
      false,
      true,
    ]);
    expect((await get("/experts/documents", expert.token)).body.results[0].is_verified).toBe(true);
  });

  test("unknown id 404, unknown field 400, wrong role 403, no token 401; nothing changes", async () => {
    expectError(await post("/admin/experts/documents/999/verify", {}), 404, "not_found");
    expectError(
      await post(`/admin/experts/documents/${doc.id}/verify`, { verified: false }),
      400,
      "validation_failed",
    );
    const reader = await t.user("support", { grantedPermissions: ["experts:read"] });
    for (const token of [expert.token, client.token, reader.token]) {
      expectError(await post(`/admin/experts/documents/${doc.id}/verify`, {}, token), 403, "forbidden");
    }
    for (const token of [expert.token, client.token]) {
      expectError(await get("/admin/experts/documents", token), 403, "forbidden");
    }
    expectError(await post(`/admin/experts/documents/${doc.id}/verify`, {}, ""), 401, "unauthenticated");
    expectError(await get("/admin/experts/documents"), 401, "unauthenticated");
    expect(count("expert_documents", "is_verified = 1")).toBe(0);
    expect(notificationsOf(expert.id)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------- specializations

describe("expert specializations", () => {
  let expert: U;
  let maths: { id: number; name: string };
  let physics: { id: number; name: string };
  beforeEach(async () => {
    expert = await makeExpert(t);
    maths = makeSubject(t, "Maths");
    physics = makeSubject(t, "Physics");
  });

  test("claim a subject: 201 unverified, with its event", async () => {
    const r = await post("/experts/specializations", { subject_id: maths.id }, expert.token);
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      user_id: expert.id,
      subject_id: maths.id,
      subject_name: "Maths",
      is_verified: false,
      verified_by: null,
      verified_at: null,
      created_at: nowIso(),
    });
    expect(eventRows("expert_specialization.added")).toMatchObject([
      { actor_id: expert.id, subject_type: "expert_specialization", subject_id: String(r.body.id) },
    ]);
  });

  test("unknown or inactive subject 404; duplicate 409; nothing written", async () => {
    expectError(await post("/experts/specializations", { subject_id: 999 }, expert.token), 404, "not_found");
    await t.call("DELETE", `${V1}/admin/catalog/subjects/${physics.id}`, { token: admin.token });
    expectError(
      await post("/experts/specializations", { subject_id: physics.id }, expert.token),
      404,
      "not_found",
    );
    const first = await post("/experts/specializations", { subject_id: maths.id }, expert.token);
    const dup = await post("/experts/specializations", { subject_id: maths.id }, expert.token);
    expect(expectError(dup, 409, "conflict").details).toEqual({ specialization_id: first.body.id });
    expect(count("expert_specializations")).toBe(1);
    expect(eventRows("expert_specialization.added")).toHaveLength(1);
    // Another expert may hold the same subject.
    const other = await makeExpert(t);
    expect((await post("/experts/specializations", { subject_id: maths.id }, other.token)).status).toBe(201);
  });

  test("bad bodies 400, client 403, no token 401; nothing written", async () => {
    for (const body of [
      {},
      { subject_id: "1" },
      { subject_id: 0 },
      { subject_id: 1.5 },
      { subject_id: maths.id, x: 1 },
    ]) {
      expectError(await post("/experts/specializations", body, expert.token), 400, "validation_failed");
    }
    expectError(
      await post("/experts/specializations", { subject_id: maths.id }, client.token),
      403,
      "forbidden",
    );
    expectError(await post("/experts/specializations", { subject_id: maths.id }, ""), 401, "unauthenticated");
    expectError(await get("/experts/specializations", client.token), 403, "forbidden");
    expect(count("expert_specializations")).toBe(0);
  });

  test("GET lists only the caller's, by subject name", async () => {
    const p = await post("/experts/specializations", { subject_id: physics.id }, expert.token);
    const m = await post("/experts/specializations", { subject_id: maths.id }, expert.token);
    const other = await makeExpert(t);
    await post("/experts/specializations", { subject_id: maths.id }, other.token);
    const r = await get("/experts/specializations", expert.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ results: [m.body, p.body] });
  });

  test("DELETE: mine 204 with its event; someone else's or unknown 404 and kept", async () => {
    const mine = (await post("/experts/specializations", { subject_id: maths.id }, expert.token)).body;
    const other = await makeExpert(t);
    const theirs = (await post("/experts/specializations", { subject_id: maths.id }, other.token)).body;
    expectError(await del(`/experts/specializations/${theirs.id}`, expert.token), 404, "not_found");
    expectError(await del("/experts/specializations/999", expert.token), 404, "not_found");
    expectError(await del(`/experts/specializations/${mine.id}`, client.token), 403, "forbidden");
    expectError(await del(`/experts/specializations/${mine.id}`), 401, "unauthenticated");
    expect(count("expert_specializations")).toBe(2);

    const r = await t.call("DELETE", `${V1}/experts/specializations/${mine.id}`, { token: expert.token });
    expect(r.status).toBe(204);
    expect(count("expert_specializations")).toBe(1);
    expect(eventRows("expert_specialization.removed")).toHaveLength(1);
    expectError(await del(`/experts/specializations/${mine.id}`, expert.token), 404, "not_found");
  });

  test("admin: list by verification; verify notifies once; wrong role 403; unknown 404", async () => {
    const s = (await post("/experts/specializations", { subject_id: maths.id }, expert.token)).body;
    const s2 = (await post("/experts/specializations", { subject_id: physics.id }, expert.token)).body;
    const list = await get("/admin/experts/specializations?verified=false", admin.token);
    expect(list.status).toBe(200);
    expect(list.body.results.map((x: any) => x.id)).toEqual([s2.id, s.id]);
    expect(list.body.results[1].user).toMatchObject({ id: expert.id, role: "expert" });

    for (const token of [expert.token, client.token]) {
      expectError(await post(`/admin/experts/specializations/${s.id}/verify`, {}, token), 403, "forbidden");
      expectError(await get("/admin/experts/specializations", token), 403, "forbidden");
    }
    expectError(await post(`/admin/experts/specializations/${s.id}/verify`, {}, ""), 401, "unauthenticated");
    expectError(await post("/admin/experts/specializations/999/verify", {}), 404, "not_found");
    expectError(
      await post(`/admin/experts/specializations/${s.id}/verify`, { a: 1 }),
      400,
      "validation_failed",
    );
    expect(count("expert_specializations", "is_verified = 1")).toBe(0);

    t.clock.advance(5000);
    const r = await post(`/admin/experts/specializations/${s.id}/verify`, {});
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ...s, is_verified: true, verified_by: admin.id, verified_at: nowIso() });
    const [n] = notificationsOf(expert.id);
    expect(n).toMatchObject({ type: "specialization_verified" });
    expect(JSON.parse(n.data)).toEqual({ specialization_id: s.id, subject_id: maths.id });
    expect(auditRows("expert_specialization.verified")).toHaveLength(1);
    expect(eventRows("expert_specialization.verified")).toHaveLength(1);

    expect((await post(`/admin/experts/specializations/${s.id}/verify`, {})).body.is_verified).toBe(true);
    expect(notificationsOf(expert.id)).toHaveLength(1);
    expect(eventRows("expert_specialization.verified")).toHaveLength(1);

    const verified = await get("/admin/experts/specializations?verified=true", admin.token);
    expect(verified.body.results.map((x: any) => x.id)).toEqual([s.id]);
    expect((await get("/experts/specializations", expert.token)).body.results[0].is_verified).toBe(true);
  });
});
