import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sha256Hex } from "../../src/lib/crypto";
import { HOUR, MINUTE } from "../../src/lib/time";
import { BILLING_SCHEDULES } from "../../src/modules/billing/notices";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { type FakeSmtp, SMTP_USER, startFakeSmtp, tokenFrom } from "../helpers/fake-smtp";
import { startFakeTelegram } from "../helpers/fake-telegram";

const PUBLIC_URL = "https://app.souk.test";
const FROM = "Souk Test <mailer@souk.test>";
const PASSWORD = "correct horse battery";

let smtp: FakeSmtp;
let t: TestApp;

beforeAll(async () => {
  smtp = await startFakeSmtp();
  t = makeTestApp({ SMTP_URL: smtp.url, EMAIL_FROM: FROM, PUBLIC_URL });
});
afterAll(() => smtp.stop());

let seq = 0;
/** Registers through the API (password and all), then drains the queue: the verification mail is sent. */
async function register(app = t) {
  seq++;
  const email = `person${seq}@example.com`;
  const r = await app.call("POST", "/api/v1/auth/register", {
    body: { email, password: PASSWORD, username: `person_${seq}` },
  });
  expect(r.status).toBe(201);
  await app.ctx.jobs.drain(app.ctx);
  return { email, id: r.body.user.id as number, token: r.body.access_token as string, reg: r.body };
}

const mailsTo = (email: string, subject?: string) =>
  smtp.received.filter((m) => m.to.includes(email) && (!subject || m.subject === subject));
const VERIFY = "Confirm your email address";
const RESET = "Reset your password";
const lastToken = (email: string, subject: string, page: string) => {
  const mails = mailsTo(email, subject);
  expect(mails.length).toBeGreaterThan(0);
  return tokenFrom(mails[mails.length - 1]!, page);
};
const verify = (token: string, app = t) => app.call("POST", "/api/v1/auth/email/verify", { body: { token } });
const me = async (token: string, app = t) => (await app.call("GET", "/api/v1/me", { token })).body;
const events = (type: string, userId: number, app = t) =>
  app.ctx.sqlite
    .query("SELECT payload FROM events WHERE type = ? AND subject_id = ? ORDER BY id")
    .all(type, String(userId)) as { payload: string }[];
const login = (email: string, password: string, app = t) =>
  app.call("POST", "/api/v1/auth/login", { body: { login: email, password } });

describe("verification email on registration", () => {
  test("the mail arrives over SMTP with a link that verifies the address", async () => {
    const u = await register();
    expect(u.reg.user.email_verified).toBe(false);
    const mails = mailsTo(u.email, VERIFY);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.headers.from).toBe(FROM);
    expect(mail.from).toBe("mailer@souk.test");
    expect(mail.authUser).toBe(SMTP_USER);
    expect(mail.text).toContain(`${PUBLIC_URL}/verify-email?token=`);
    expect(mail.text).toContain(u.email);

    const token = tokenFrom(mail, "verify-email");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const r = await verify(token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ email: u.email, email_verified: true });
    expect((await me(u.token)).email_verified).toBe(true);
    expect(events("user.email_verified", u.id)).toHaveLength(1);
  });

  test("only the token's SHA-256 is stored; the queued job does not hold the token in clear", async () => {
    const u = await register();
    const token = lastToken(u.email, VERIFY, "verify-email");
    const rows = t.ctx.sqlite
      .query("SELECT token_hash, purpose, email FROM email_tokens WHERE user_id = ?")
      .all(u.id) as { token_hash: string; purpose: string; email: string }[];
    expect(rows).toEqual([{ token_hash: sha256Hex(token), purpose: "verify_email", email: u.email }]);
    const dump = JSON.stringify(t.ctx.sqlite.query("SELECT * FROM jobs").all());
    expect(dump).not.toContain(token);
    expect(JSON.stringify(t.ctx.sqlite.query("SELECT * FROM events").all())).not.toContain(token);
  });

  test("a used link is refused the second time (400) and changes nothing", async () => {
    const u = await register();
    const token = lastToken(u.email, VERIFY, "verify-email");
    expect((await verify(token)).status).toBe(200);
    const again = expectError(await verify(token), 400, "validation_failed");
    expect(again.details.issues[0]).toEqual({
      path: "body.token",
      message: "this link was already used or replaced by a newer one",
    });
    expect(events("user.email_verified", u.id)).toHaveLength(1);
  });

  test("a link older than 24 hours is refused and the address stays unverified", async () => {
    const u = await register();
    const token = lastToken(u.email, VERIFY, "verify-email");
    t.clock.advance(24 * HOUR);
    const e = expectError(await verify(token), 400, "validation_failed");
    expect(e.details.issues[0].message).toBe("this link has expired; ask for a new one");
    // The access token has expired by now too: read the row.
    expect(t.ctx.sqlite.query("SELECT email_verified_at FROM users WHERE id = ?").get(u.id)).toEqual({
      email_verified_at: null,
    });
  });

  test("a link is good just before 24 hours", async () => {
    const u = await register();
    const token = lastToken(u.email, VERIFY, "verify-email");
    t.clock.advance(24 * HOUR - 1);
    expect((await verify(token)).status).toBe(200);
  });

  test("bad bodies: missing, malformed or unknown tokens are 400", async () => {
    for (const body of [{}, { token: "short" }, { token: "x".repeat(43), extra: 1 }, { token: 42 }]) {
      expectError(await t.call("POST", "/api/v1/auth/email/verify", { body }), 400, "validation_failed");
    }
    expectError(await t.call("POST", "/api/v1/auth/email/verify", { raw: "{" }), 400, "invalid_json");
    const e = expectError(await verify("A".repeat(43)), 400, "validation_failed");
    expect(e.details.issues[0].message).toBe("invalid link");
  });

  test("a reset token does not verify an email (and the other way round)", async () => {
    const u = await register();
    await t.call("POST", "/api/v1/auth/password/forgot", { body: { email: u.email } });
    await t.ctx.jobs.drain(t.ctx);
    const resetToken = lastToken(u.email, RESET, "reset-password");
    expectError(await verify(resetToken), 400, "validation_failed");
    const verifyToken = lastToken(u.email, VERIFY, "verify-email");
    expectError(
      await t.call("POST", "/api/v1/auth/password/reset", {
        body: { token: verifyToken, password: "new pass 123" },
      }),
      400,
      "validation_failed",
    );
  });

  test("a link verifies the account it was sent for, whoever posts it", async () => {
    const a = await register();
    const b = await register();
    const r = await t.call("POST", "/api/v1/auth/email/verify", {
      token: b.token,
      body: { token: lastToken(a.email, VERIFY, "verify-email") },
    });
    expect(r.body).toEqual({ email: a.email, email_verified: true });
    expect((await me(a.token)).email_verified).toBe(true);
    expect((await me(b.token)).email_verified).toBe(false);
  });
});

describe("POST /auth/email/verification (resend)", () => {
  const resend = (token?: string, app = t) =>
    app.call("POST", "/api/v1/auth/email/verification", token ? { token } : {});

  test("one a minute: 429 with Retry-After, then 202; the new link supersedes the old one", async () => {
    const u = await register();
    const first = lastToken(u.email, VERIFY, "verify-email");
    t.clock.advance(30_000);
    const early = await resend(u.token);
    const e = expectError(early, 429, "rate_limited");
    expect(e.details).toEqual({ retry_after_seconds: 30 });
    expect(early.headers.get("retry-after")).toBe("30");

    t.clock.advance(30_000);
    const r = await resend(u.token);
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ email: u.email, expires_at: new Date(t.clock.now() + 24 * HOUR).toISOString() });
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(mailsTo(u.email, VERIFY)).toHaveLength(2);
    const second = lastToken(u.email, VERIFY, "verify-email");
    expect(second).not.toBe(first);

    expectError(await verify(first), 400, "validation_failed");
    expect((await verify(second)).status).toBe(200);
    expect(events("user.email_verification_requested", u.id)).toHaveLength(2);
  });

  test("409 once verified, and 409 for an account without an email", async () => {
    const u = await register();
    await verify(lastToken(u.email, VERIFY, "verify-email"));
    t.clock.advance(MINUTE);
    const e = expectError(await resend(u.token), 409, "conflict");
    expect(e.message).toBe("the email address is already verified");

    const tg = await t.user("client", { email: null, telegramId: 424242 });
    expectError(await resend(tg.token), 409, "conflict");
  });

  test("no credentials 401, a bad token 401, a key without me:write 403; nothing is sent", async () => {
    const u = await register();
    t.clock.advance(MINUTE);
    const before = smtp.received.length;
    expectError(await resend(), 401, "unauthenticated");
    expectError(await resend("not-a-jwt"), 401, "unauthenticated");
    const key = await t.call("POST", "/api/v1/me/api-keys", {
      token: u.token,
      body: { name: "reader", scopes: ["me:read"] },
    });
    expect(key.status).toBe(201);
    expectError(await resend(key.body.key), 403, "forbidden");
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    expect(smtp.received.length).toBe(before);
  });

  test("a banned user is refused", async () => {
    const u = await register();
    t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(u.id);
    t.clock.advance(MINUTE);
    expectError(await resend(u.token), 403, "forbidden");
  });
});

describe("email change through PATCH /me", () => {
  test("clears the verification, mails the new address; the old address's link no longer works", async () => {
    const u = await register();
    const oldLink = lastToken(u.email, VERIFY, "verify-email");
    const newEmail = `changed${seq}@example.com`;
    const r = await t.call("PATCH", "/api/v1/me", { token: u.token, body: { email: newEmail } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ email: newEmail, email_verified: false });
    await t.ctx.jobs.drain(t.ctx);
    expect(mailsTo(newEmail, VERIFY)).toHaveLength(1);

    expectError(await verify(oldLink), 400, "validation_failed");
    expect((await me(u.token)).email_verified).toBe(false);
    expect((await verify(lastToken(newEmail, VERIFY, "verify-email"))).body).toEqual({
      email: newEmail,
      email_verified: true,
    });
  });

  test("a verified address that changes becomes unverified; setting the same address keeps it", async () => {
    const u = await register();
    await verify(lastToken(u.email, VERIFY, "verify-email"));
    const same = await t.call("PATCH", "/api/v1/me", { token: u.token, body: { email: u.email } });
    expect(same.body.email_verified).toBe(true);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    const changed = await t.call("PATCH", "/api/v1/me", {
      token: u.token,
      body: { email: `moved${seq}@example.com` },
    });
    expect(changed.body.email_verified).toBe(false);
  });

  test("a live link for an address the account no longer has is refused (email changed elsewhere)", async () => {
    const u = await register();
    const link = lastToken(u.email, VERIFY, "verify-email");
    t.ctx.sqlite.query("UPDATE users SET email = ? WHERE id = ?").run(`elsewhere${seq}@example.com`, u.id);
    const e = expectError(await verify(link), 400, "validation_failed");
    expect(e.details.issues[0].message).toBe(
      "this link was sent to an email address the account no longer uses",
    );
    expect(events("user.email_verified", u.id)).toHaveLength(0);
  });
});

describe("password reset", () => {
  const forgot = (email: unknown, app = t) =>
    app.call("POST", "/api/v1/auth/password/forgot", { body: { email } });
  const reset = (token: string, password: string, app = t) =>
    app.call("POST", "/api/v1/auth/password/reset", { body: { token, password } });

  test("forgot -> mail -> reset: the new password works, the old one and every session end", async () => {
    const u = await register();
    // A second session (another device) with its own refresh family.
    const other = await login(u.email, PASSWORD);
    expect(other.status).toBe(200);

    const f = await forgot(u.email.toUpperCase());
    expect(f.status).toBe(202);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    const mail = mailsTo(u.email, RESET)[0]!;
    expect(mail.text).toContain(`${PUBLIC_URL}/reset-password?token=`);
    const token = tokenFrom(mail, "reset-password");

    const r = await reset(token, "a brand new secret");
    expect(r.status).toBe(204);
    expect((await login(u.email, "a brand new secret")).status).toBe(200);
    expectError(await login(u.email, PASSWORD), 401, "invalid_credentials");

    for (const rt of [u.reg.refresh_token, other.body.refresh_token]) {
      const refreshed = await t.call("POST", "/api/v1/auth/refresh", { body: { refresh_token: rt } });
      expectError(refreshed, 401, "unauthenticated");
    }
    expect(events("user.password_reset", u.id)).toHaveLength(1);
    const audit = t.ctx.sqlite
      .query("SELECT actor_id, action, target_type, target_id, request_id FROM audit_log WHERE target_id = ?")
      .all(String(u.id)) as Record<string, unknown>[];
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: u.id, action: "user.password_reset", target_type: "user" });
    expect(audit[0]!.request_id).toBeTruthy();

    // Single use.
    const again = expectError(await reset(token, "yet another secret"), 400, "validation_failed");
    expect(again.details.issues[0].message).toBe("this link was already used or replaced by a newer one");
    expect((await login(u.email, "a brand new secret")).status).toBe(200);
  });

  test("an unknown address gets the same 202 and body, and no mail or token", async () => {
    const u = await register();
    t.clock.advance(MINUTE);
    const tokensBefore = t.ctx.sqlite.query("SELECT count(*) AS n FROM email_tokens").get();
    const known = await forgot(u.email);
    const mailsBefore = smtp.received.length;
    await t.ctx.jobs.drain(t.ctx);
    expect(smtp.received.length).toBe(mailsBefore + 1);

    const unknown = await forgot("nobody-here@example.com");
    expect(unknown.status).toBe(known.status);
    expect(unknown.body).toEqual(known.body);
    expect([...unknown.headers.keys()].sort()).toEqual([...known.headers.keys()].sort());
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    expect(smtp.received.length).toBe(mailsBefore + 1);
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM email_tokens").get()).toEqual({
      n: (tokensBefore as { n: number }).n + 1,
    });
  });

  test("a weak password is 400 and changes nothing: the link, the password and the sessions stay", async () => {
    const u = await register();
    await forgot(u.email);
    await t.ctx.jobs.drain(t.ctx);
    const token = lastToken(u.email, RESET, "reset-password");
    for (const password of ["short", "", "x".repeat(129)]) {
      expectError(await reset(token, password), 400, "validation_failed");
    }
    expectError(
      await t.call("POST", "/api/v1/auth/password/reset", { body: { token } }),
      400,
      "validation_failed",
    );
    expect((await login(u.email, PASSWORD)).status).toBe(200);
    const refreshed = await t.call("POST", "/api/v1/auth/refresh", {
      body: { refresh_token: u.reg.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(events("user.password_reset", u.id)).toHaveLength(0);
    expect((await reset(token, "long enough now")).status).toBe(204);
  });

  test("a reset link expires after 1 hour", async () => {
    const u = await register();
    await forgot(u.email);
    await t.ctx.jobs.drain(t.ctx);
    const token = lastToken(u.email, RESET, "reset-password");
    t.clock.advance(HOUR);
    const e = expectError(await reset(token, "another secret"), 400, "validation_failed");
    expect(e.details.issues[0].message).toBe("this link has expired; ask for a new one");
    expect((await login(u.email, PASSWORD)).status).toBe(200);
  });

  test("a second request within a minute sends nothing; a later one supersedes the first link", async () => {
    const u = await register();
    await forgot(u.email);
    await forgot(u.email);
    await t.ctx.jobs.drain(t.ctx);
    expect(mailsTo(u.email, RESET)).toHaveLength(1);
    const first = lastToken(u.email, RESET, "reset-password");
    t.clock.advance(MINUTE);
    expect((await forgot(u.email)).status).toBe(202);
    await t.ctx.jobs.drain(t.ctx);
    expect(mailsTo(u.email, RESET)).toHaveLength(2);
    expectError(await reset(first, "another secret"), 400, "validation_failed");
    expect((await reset(lastToken(u.email, RESET, "reset-password"), "another secret")).status).toBe(204);
  });

  test("a reset link sent to an old address stops working when the email changes", async () => {
    const u = await register();
    await forgot(u.email);
    await t.ctx.jobs.drain(t.ctx);
    const token = lastToken(u.email, RESET, "reset-password");
    await t.call("PATCH", "/api/v1/me", { token: u.token, body: { email: `new-owner${seq}@example.com` } });
    expectError(await reset(token, "hijacked password"), 400, "validation_failed");
    expect((await login(`new-owner${seq}@example.com`, PASSWORD)).status).toBe(200);
  });

  test("a banned account gets the same 202 and no mail; bad bodies are 400", async () => {
    const u = await register();
    t.ctx.sqlite.query("UPDATE users SET is_banned = 1 WHERE id = ?").run(u.id);
    t.clock.advance(MINUTE);
    const r = await forgot(u.email);
    expect(r.status).toBe(202);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    for (const email of ["not-an-email", 5, null]) expectError(await forgot(email), 400, "validation_failed");
    expectError(await t.call("POST", "/api/v1/auth/password/forgot", { body: {} }), 400, "validation_failed");
  });
});

describe("without SMTP_URL", () => {
  test("no mail is queued; resend and forgot answer 409 alike for any address; /me still shows email_verified", async () => {
    const plain = makeTestApp();
    const u = await register(plain);
    expect(plain.ctx.sqlite.query("SELECT count(*) AS n FROM jobs").get()).toEqual({ n: 0 });
    expect((await me(u.token, plain)).email_verified).toBe(false);
    const resend = await plain.call("POST", "/api/v1/auth/email/verification", { token: u.token });
    expectError(resend, 409, "conflict");
    const known = expectError(
      await plain.call("POST", "/api/v1/auth/password/forgot", { body: { email: u.email } }),
      409,
      "conflict",
    );
    const unknown = expectError(
      await plain.call("POST", "/api/v1/auth/password/forgot", { body: { email: "x@example.com" } }),
      409,
      "conflict",
    );
    expect(unknown.message).toBe(known.message);
  });
});

describe("delivery through the job queue", () => {
  test("SMTP down: the request still succeeds, the job is retried and the mail arrives once SMTP is back", async () => {
    const down = await startFakeSmtp();
    const port = down.port;
    await down.stop();
    const app = makeTestApp({ SMTP_URL: `smtp://127.0.0.1:${port}`, PUBLIC_URL });
    await register(app);
    const job = () =>
      app.ctx.sqlite
        .query("SELECT status, attempts, last_error, run_at FROM jobs WHERE type = 'email.token'")
        .get() as {
        status: string;
        attempts: number;
        last_error: string;
        run_at: number;
      };
    expect(job()).toMatchObject({ status: "queued", attempts: 1 });
    expect(job().last_error).toContain("ECONNREFUSED");

    const back = await startFakeSmtp(port);
    try {
      expect(await app.ctx.jobs.drain(app.ctx)).toBe(0); // backoff: not due yet
      app.clock.set(job().run_at);
      expect(await app.ctx.jobs.drain(app.ctx)).toBe(1);
      expect(job()).toMatchObject({ status: "done", attempts: 2 });
      expect(back.received).toHaveLength(1);
      const token = tokenFrom(back.received[0]!, "verify-email");
      expect((await verify(token, app)).status).toBe(200);
    } finally {
      await back.stop();
    }
  });

  test("a permanent SMTP rejection (550) fails the job without retries", async () => {
    const u = await register();
    t.clock.advance(MINUTE);
    smtp.rejectNextRecipients(1);
    await t.call("POST", "/api/v1/auth/password/forgot", { body: { email: u.email } });
    await t.ctx.jobs.drain(t.ctx);
    const row = t.ctx.sqlite
      .query(
        "SELECT status, attempts, last_error FROM jobs WHERE type = 'email.token' ORDER BY id DESC LIMIT 1",
      )
      .get() as { status: string; attempts: number; last_error: string };
    expect(row).toMatchObject({ status: "failed", attempts: 1 });
    expect(row.last_error).toContain("550");
  });

  test("a link used before its job runs is not sent", async () => {
    const u = await register();
    t.clock.advance(MINUTE);
    await t.call("POST", "/api/v1/auth/email/verification", { token: u.token });
    // The superseding link is what the queue holds now; supersede it again before sending.
    t.ctx.sqlite.query("UPDATE email_tokens SET used_at = ? WHERE user_id = ?").run(t.clock.now(), u.id);
    const before = mailsTo(u.email, VERIFY).length;
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(mailsTo(u.email, VERIFY)).toHaveLength(before);
  });
});

describe("email notices beside Telegram", () => {
  const runNotices = (app: TestApp) =>
    BILLING_SCHEDULES.find((s) => s.name === "billing-notices")!.run(app.ctx);

  test("a verified user gets the notice by email and Telegram, one job each: a failing Telegram does not block email", async () => {
    const tg = startFakeTelegram();
    try {
      const app = makeTestApp({ SMTP_URL: smtp.url, EMAIL_FROM: FROM, TELEGRAM_API_BASE: tg.url });
      const now = app.clock.now();
      const verified = await app.user("client", {
        telegramId: 9001,
        email: "notice-v@example.com",
        emailVerifiedAt: now,
      });
      const unverified = await app.user("client", { telegramId: 9002, email: "notice-u@example.com" });
      grantSeconds(app, verified.id, 120);
      grantSeconds(app, unverified.id, 120);
      runNotices(app);
      const jobs = app.ctx.sqlite.query("SELECT type, payload FROM jobs ORDER BY id").all() as {
        type: string;
        payload: string;
      }[];
      expect(jobs.map((j) => j.type).sort()).toEqual(["email.send", "telegram.send", "telegram.send"]);
      expect(JSON.parse(jobs.find((j) => j.type === "email.send")!.payload)).toMatchObject({
        to: "notice-v@example.com",
        subject: "Low minute balance",
      });

      tg.failNext(10);
      await app.ctx.jobs.drain(app.ctx);
      const mails = mailsTo("notice-v@example.com");
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ subject: "Low minute balance" });
      expect(mails[0]!.text).toBe("You have 2 min left.\n");
      expect(mails[0]!.headers.from).toBe(FROM);
      expect(mailsTo("notice-u@example.com")).toHaveLength(0);
      const status = app.ctx.sqlite.query("SELECT type, status FROM jobs ORDER BY id").all();
      expect(status).toContainEqual({ type: "email.send", status: "done" });
      expect(status.filter((s) => (s as { type: string }).type === "telegram.send")).toEqual([
        { type: "telegram.send", status: "queued" },
        { type: "telegram.send", status: "queued" },
      ]);
    } finally {
      tg.stop();
    }
  });

  test("without SMTP_URL a verified user's notice goes to Telegram only", async () => {
    const app = makeTestApp();
    const u = await app.user("client", { telegramId: 9003, emailVerifiedAt: app.clock.now() });
    grantSeconds(app, u.id, 120);
    runNotices(app);
    const types = (app.ctx.sqlite.query("SELECT type FROM jobs").all() as { type: string }[]).map(
      (j) => j.type,
    );
    expect(types).toEqual(["telegram.send"]);
  });
});
