import { afterAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Redactor } from "../../src/modules/accounts/privacy/redact";
import { checkInvariants } from "../../src/modules/ledger/check";
import { closeAllStreams, streamHub } from "../../src/modules/platform/notifications/hub";
import { expectError, makeTestApp } from "../helpers/app";
import { openSse, settlesWithin } from "../helpers/sse";
import { allText, PII, richPerson } from "./privacy-fixtures";

const t = makeTestApp();
const admin = await t.user("admin");
const p = await richPerson(t);
// Someone else with the same first name: their own account is theirs, not a copy of the person's.
const namesake = await t.user("client", { firstName: PII.firstName, lastName: "Other" });
// Staff's note on another account that names the person is a copy of their name.
const flagged = await t.user("client", { isBanned: true, banReason: `sock puppet of ${p.email}` });

const server = Bun.serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1" });
afterAll(async () => {
  closeAllStreams();
  await server.stop(true);
});

const anonymize = (id: number, token = admin.token) =>
  t.call("POST", `/api/v1/admin/users/${id}/anonymize`, { token });

const uploadsDir = join(t.ctx.env.DATA_DIR, "uploads");
const storageKeys = () =>
  (
    t.ctx.sqlite.query("SELECT storage_key FROM files WHERE owner_id = ?").all(p.id) as {
      storage_key: string;
    }[]
  ).map((f) => f.storage_key);
const balances = () =>
  t.ctx.sqlite
    .query("SELECT id, owner_type, owner_id, kind, currency, balance FROM ledger_accounts ORDER BY id")
    .all();
const count = (table: string) =>
  (t.ctx.sqlite.query(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n;
const moneyRows = () => ({
  transfers: t.ctx.sqlite.query("SELECT * FROM ledger_transfers ORDER BY id").all(),
  purchases: t.ctx.sqlite
    .query("SELECT id, user_id, amount, currency, status FROM purchases ORDER BY id")
    .all(),
  orders: t.ctx.sqlite
    .query("SELECT id, client_id, expert_id, status, price, escrow_amount FROM orders ORDER BY id")
    .all(),
  gateway: t.ctx.sqlite
    .query(
      "SELECT id, status, amount, amount_crypto, store_commission, trader_commission, trader_id, store_id FROM gateway_orders ORDER BY id",
    )
    .all(),
});

describe("what the search replaces", () => {
  const r = new Redactor({ strings: ["Ann", "Ann Lee", "ann@x.org", 'Say "hi"', "Li"], telegramId: 4242 });

  test("whole occurrences only, the longest first; too-short strings are not searched for", () => {
    expect(r.value("Ann Lee wrote; Annual report by Ann.").value).toBe(
      "[redacted] wrote; Annual report by [redacted].",
    );
    expect(r.value("mail ann@x.org now").value).toBe("mail [redacted] now");
    expect(r.value("Li and Lin").value).toBe("Li and Lin");
  });

  test("JSON: string values only, never keys nor structural values; the Telegram id where it addresses", () => {
    const doc = {
      Ann: "Ann",
      status: "Ann",
      user_id: "Ann",
      note: 'She said: Say "hi"',
      chat_id: 4242,
      amount: 4242,
    };
    const out = r.value(JSON.stringify(doc));
    expect(JSON.parse(out.value)).toEqual({
      Ann: "[redacted]",
      status: "Ann",
      user_id: "Ann",
      note: "She said: [redacted]",
      chat_id: null,
      amount: 4242,
    });
    expect(out.recipient).toBe(true);
    expect(r.value(JSON.stringify({ to: "ann@x.org" })).recipient).toBe(true);
    expect(r.value(JSON.stringify({ text: "ann@x.org" })).recipient).toBe(false);
    // Nothing to replace: the stored text is kept byte for byte.
    const untouched = '{ "b": 1,  "a": "x" }';
    expect(r.value(untouched).value).toBe(untouched);
  });
});

describe("POST /admin/users/{id}/anonymize: refusals", () => {
  test("401 without credentials, 403 for a client and for support without the permission", async () => {
    expectError(await t.call("POST", `/api/v1/admin/users/${p.id}/anonymize`), 401, "unauthenticated");
    expectError(await anonymize(p.id, p.other.token), 403, "forbidden");
    const support = await t.user("support");
    expectError(await anonymize(p.id, support.token), 403, "forbidden");
  });

  test("404 for a missing user", async () => {
    expectError(await anonymize(999_999), 404, "not_found");
  });

  test("an admin account is refused (403), and so is the caller's own (409)", async () => {
    const other = await t.user("admin");
    const e = expectError(await anonymize(other.id), 403, "forbidden");
    expect(e.message).toContain("admin");
    expect(expectError(await anonymize(admin.id), 409, "conflict").message).toContain("your own");
    expect(t.ctx.sqlite.query("SELECT anonymized_at FROM users WHERE id = ?").get(other.id)).toEqual({
      anonymized_at: null,
    });
  });

  test("a grant for one id opens that user only; never a user with more powers than the caller", async () => {
    const victim = await t.user("client");
    const staff = await t.user("support", { grantedPermissions: [`users:${victim.id}:anonymize`] });
    expect(expectError(await anonymize(p.other.id, staff.token), 403, "forbidden").message).toContain(
      `users:${p.other.id}:anonymize`,
    );
    const lead = await t.user("teamlead");
    const wide = await t.user("support", { grantedPermissions: ["users:anonymize"] });
    expect(expectError(await anonymize(lead.id, wide.token), 403, "forbidden").message).toContain(
      "gateway:teamlead:*",
    );
    const r = await anonymize(victim.id, staff.token);
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(victim.id);
  });
});

describe("POST /admin/users/{id}/anonymize", () => {
  let before: ReturnType<typeof moneyRows>;
  let beforeBalances: unknown[];
  let keys: string[];
  let summary: Record<string, number | string>;
  let requestId: string;

  test("the person's data is everywhere before (the search below is not vacuous)", () => {
    const text = allText(t).map((x) => x.value);
    const hits = (s: string) => text.filter((v) => v.includes(s)).length;
    // Own rows plus copies: events, audit details, notifications, jobs, callbacks, others' messages.
    expect(hits(p.email)).toBeGreaterThanOrEqual(4);
    expect(hits(PII.firstName)).toBeGreaterThanOrEqual(8);
    expect(hits(PII.details)).toBeGreaterThanOrEqual(3);
    expect(hits(PII.ownerName)).toBeGreaterThanOrEqual(2);
    expect(text.some((v) => v.includes(`"chat_id":${p.telegramId}`))).toBe(true);
  });

  test("200: the summary counts what was replaced, revoked and deleted", async () => {
    before = moneyRows();
    beforeBalances = balances();
    keys = storageKeys();
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(existsSync(join(uploadsDir, k))).toBe(true);
    const stream = await openSse(`${server.url}api/v1/notifications/stream`, {
      authorization: `Bearer ${p.token}`,
    });
    expect(stream.status).toBe(200);
    await stream.next((e) => e.event === "unread_count");

    const r = await anonymize(p.id);
    expect(r.status).toBe(200);
    requestId = r.headers.get("x-request-id")!;
    summary = r.body;
    expect(summary).toMatchObject({
      id: p.id,
      anonymized_at: new Date(t.clock.now()).toISOString(),
      sessions_revoked: 1,
      api_keys_revoked: 1,
      files_deleted: 3,
      messages_redacted: 1,
      reviews_redacted: 2,
      requisites_redacted: 2,
      notifications_deleted: 1,
      jobs_cancelled: 2,
    });
    expect(summary.records_redacted as number).toBeGreaterThan(5);
    // Like a ban: the live stream ends once the change commits.
    expect(await settlesWithin(stream.ended, 1000)).toBe(true);
    expect(streamHub(t.ctx).count(p.id)).toBe(0);
  });

  test("no email, name, login, Telegram id or requisite detail of the person is left in any text column", () => {
    const needles = [p.email, p.username, PII.firstName, PII.lastName, PII.details, PII.ownerName, PII.bio];
    const found = allText(t).filter(
      (x) =>
        needles.some((n) => x.value.includes(n)) &&
        // The namesake's own account keeps their own name.
        !(x.table === "users" && x.value === PII.firstName),
    );
    expect(found).toEqual([]);
    expect(allText(t).filter((x) => x.value.includes(String(p.telegramId)))).toEqual([]);
    expect(t.ctx.sqlite.query("SELECT first_name FROM users WHERE id = ?").get(namesake.id)).toEqual({
      first_name: PII.firstName,
    });
    expect(t.ctx.sqlite.query("SELECT ban_reason FROM users WHERE id = ?").get(flagged.id)).toEqual({
      ban_reason: "sock puppet of [redacted]",
    });
  });

  test("the account row: logins become deleted-<id>, the rest cleared, banned, marked", () => {
    const u = t.ctx.sqlite.query("SELECT * FROM users WHERE id = ?").get(p.id) as Record<string, unknown>;
    expect(u).toMatchObject({
      email: `deleted-${p.id}`,
      username: `deleted-${p.id}`,
      password_hash: null,
      telegram_id: null,
      first_name: null,
      last_name: null,
      bio: null,
      education: null,
      skills: null,
      avatar_url: null,
      granted_permissions: "[]",
      is_banned: 1,
      anonymized_at: t.clock.now(),
    });
    // Kept: the role (statistics by role) and when the account existed.
    expect(u.role).toBe("trader");
    const app = t.ctx.sqlite.query("SELECT bio, skills FROM expert_applications WHERE user_id = ?").get(p.id);
    expect(app).toEqual({ bio: null, skills: null });
  });

  test("messages and review comments they wrote are replaced; others' texts only lose the mentions", () => {
    const own = t.ctx.sqlite.query("SELECT body FROM order_messages WHERE sender_id = ?").all(p.id);
    expect(own).toEqual([{ body: "[redacted]" }]);
    const theirs = t.ctx.sqlite.query("SELECT body FROM order_messages WHERE sender_id = ?").all(p.expert.id);
    expect(theirs).toEqual([{ body: "Hi [redacted]!" }]);
    expect(t.ctx.sqlite.query("SELECT body FROM order_messages WHERE sender_id = ?").get(p.other.id)).toEqual(
      {
        body: "Otto's own words",
      },
    );
    expect(t.ctx.sqlite.query("SELECT comment FROM reviews WHERE author_id = ?").all(p.id)).toEqual([
      { comment: null },
    ]);
    // A review about them by someone else is that person's words and stays.
    expect(t.ctx.sqlite.query("SELECT comment FROM reviews WHERE target_id = ?").all(p.id)).toEqual([
      { comment: "Pleasant client" },
    ]);
    const note = t.ctx.sqlite
      .query("SELECT message, data FROM notifications WHERE user_id = ?")
      .get(p.expert.id);
    expect(note).toEqual({ message: "[redacted] ([redacted]) wrote to you", data: '{"from":"[redacted]"}' });
  });

  test("requisites: details and owner replaced and blocked; the trader is out of work", () => {
    const reqs = t.ctx.sqlite
      .query("SELECT details, owner_name, status FROM gateway_requisites WHERE trader_id = ?")
      .all(p.trader.id);
    expect(reqs).toEqual([
      { details: "[redacted]", owner_name: "[redacted]", status: "blocked" },
      { details: "[redacted]", owner_name: "[redacted]", status: "blocked" },
    ]);
    expect(t.ctx.sqlite.query("SELECT in_work FROM gateway_traders WHERE id = ?").get(p.trader.id)).toEqual({
      in_work: 0,
    });
    // The store's callback of the pay-in kept its shape, only the details are gone.
    const cb = t.ctx.sqlite
      .query("SELECT payload FROM webhook_deliveries WHERE event_type = 'gateway.order.assigned'")
      .get() as { payload: string };
    expect(JSON.parse(cb.payload).requisite).toEqual({
      payment_method: "card",
      bank: "Sber",
      details: "[redacted]",
      owner_name: "[redacted]",
    });
  });

  test("uploads: bytes and rows gone, the rows that pointed at them still valid", () => {
    for (const k of keys) expect(existsSync(join(uploadsDir, k))).toBe(false);
    expect(storageKeys()).toEqual([]);
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM expert_documents WHERE user_id = ?").get(p.id),
    ).toEqual({
      n: 0,
    });
    expect(
      t.ctx.sqlite.query("SELECT payment_proof_file_id FROM orders WHERE id = ?").get(p.orders.asClient.id),
    ).toEqual({ payment_proof_file_id: null });
    expect(
      t.ctx.sqlite.query("SELECT trader_receipt_id FROM gateway_orders WHERE id = ?").get(p.gatewayOrderId),
    ).toEqual({ trader_receipt_id: null });
    expect(t.ctx.sqlite.query("PRAGMA foreign_key_check").all()).toEqual([]);
  });

  test("money records are kept as they were; the ledger and every invariant still hold", () => {
    expect(moneyRows()).toEqual(before);
    expect(balances()).toEqual(beforeBalances);
    const report = checkInvariants(t.ctx);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    const sums = t.ctx.sqlite
      .query("SELECT currency, SUM(balance) AS total FROM ledger_accounts GROUP BY currency")
      .all() as { total: number }[];
    for (const s of sums) expect(s.total).toBe(0);
    expect(t.ctx.sqlite.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    // Freed space was zeroed during the change only; ordinary writes are back to normal.
    expect(t.ctx.sqlite.query("PRAGMA secure_delete").get()).toEqual({ secure_delete: 0 });
  });

  test("no way back in: sessions, API key, access token and password all refused", async () => {
    expectError(await t.call("GET", "/api/v1/me", { token: p.token }), 403, "forbidden");
    const viaKey = await t.call("GET", "/api/v1/me", { token: p.apiKey });
    expect([401, 403]).toContain(viaKey.status);
    const refreshed = await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: p.refresh } });
    expect([401, 403]).toContain(refreshed.status);
    const login = await t.call("POST", "/api/v1/auth/login", {
      body: { login: p.email, password: p.password },
    });
    expect(login.status).toBe(401);
    const byNewName = await t.call("POST", "/api/v1/auth/login", {
      body: { login: `deleted-${p.id}`, password: p.password },
    });
    expect(byNewName.status).toBe(401);
    expect(
      t.ctx.sqlite
        .query("SELECT count(*) AS n FROM refresh_tokens WHERE user_id = ? AND revoked_at IS NULL")
        .get(p.id),
    ).toEqual({ n: 0 });
  });

  test("queued messages to them are cancelled, not sent to a redacted address", () => {
    const jobs = t.ctx.sqlite
      .query(
        "SELECT type, status, last_error FROM jobs WHERE type IN ('email.send', 'telegram.send') AND status = 'failed'",
      )
      .all() as { type: string; last_error: string }[];
    expect(jobs.map((j) => j.type).sort()).toEqual(["email.send", "telegram.send"]);
    for (const j of jobs) expect(j.last_error).toContain("anonymised");
    // A message to someone else that only mentioned them still goes, without the mention.
    const toOther = t.ctx.sqlite
      .query("SELECT status, payload FROM jobs WHERE type = 'telegram.send' AND status = 'queued'")
      .all() as { payload: string }[];
    expect(toOther.map((j) => JSON.parse(j.payload))).toEqual([
      { chat_id: 5_550_001, text: "[redacted] booked a session" },
    ]);
  });

  test("audited with the request id, one event; counts only, nothing that was removed", () => {
    const a = t.ctx.sqlite
      .query("SELECT * FROM audit_log WHERE action = 'user.anonymized' AND target_id = ?")
      .get(String(p.id)) as { actor_id: number; request_id: string; details: string };
    expect(a.actor_id).toBe(admin.id);
    expect(a.request_id).toBe(requestId);
    const details = JSON.parse(a.details);
    expect(details).toMatchObject({ files_deleted: 3, role: "trader" });
    expect(details.redacted_by_table).toHaveProperty("events");
    const ev = t.ctx.sqlite
      .query("SELECT actor_id, payload FROM events WHERE type = 'user.anonymized' AND subject_id = ?")
      .all(String(p.id)) as { actor_id: number }[];
    expect(ev).toHaveLength(1);
    expect(ev[0]!.actor_id).toBe(admin.id);
  });

  test("a second call is 409 and changes nothing", async () => {
    const events = count("events");
    const e = expectError(await anonymize(p.id), 409, "conflict");
    expect(e.details?.anonymized_at).toBe(summary.anonymized_at);
    expect(count("events")).toBe(events);
  });

  test("their export afterwards holds no personal data, only the kept records", async () => {
    const res = await t.app.request(`/api/v1/admin/users/${p.id}/export`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const n of [p.email, PII.firstName, PII.details]) expect(text).not.toContain(n);
    const doc = JSON.parse(text);
    expect(doc.user.anonymized_at).toBe(summary.anonymized_at);
    expect(doc.purchases).toHaveLength(1);
    expect(doc.gateway.trader.orders).toHaveLength(2);
  });
});
