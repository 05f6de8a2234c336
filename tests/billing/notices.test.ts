import { beforeEach, describe, expect, test } from "bun:test";
import { DAY, HOUR, MINUTE } from "../../src/lib/time";
import { BILLING_SCHEDULES, humanSeconds } from "../../src/modules/billing/notices";
import { expectError, makeTestApp, TEST_BOT_TOKEN, type TestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";
import { startFakeTelegram } from "../helpers/fake-telegram";

type U = Awaited<ReturnType<TestApp["user"]>>;
let t: TestApp;
let u: U;
let tgSeq = 5000;

const schedule = (name: string) => {
  const s = BILLING_SCHEDULES.find((x) => x.name === name);
  if (!s) throw new Error(`no schedule ${name}`);
  return s;
};
const runNotices = () => schedule("billing-notices").run(t.ctx) as Record<string, number>;

type Note = { id: number; user_id: number; type: string; title: string; message: string; data: string };
const notes = (type?: string, userId?: number) =>
  (t.ctx.sqlite.query("SELECT * FROM notifications ORDER BY id").all() as Note[]).filter(
    (n) => (!type || n.type === type) && (userId === undefined || n.user_id === userId),
  );
const dataOf = (n: Note) => JSON.parse(n.data) as Record<string, unknown>;
const noticeRows = () =>
  t.ctx.sqlite.query("SELECT user_id, grant_id, kind FROM billing_notices ORDER BY id").all() as {
    user_id: number;
    grant_id: number;
    kind: string;
  }[];
const telegramJobs = () =>
  (t.ctx.sqlite.query("SELECT * FROM jobs WHERE type = 'telegram.send' ORDER BY id").all() as any[]).map(
    (j) => JSON.parse(j.payload),
  );
const record = (id: string, seconds: number, who = u) =>
  t.call("POST", "/api/v1/usage/record", { token: who.token, body: { id, seconds } });

beforeEach(async () => {
  t = makeTestApp();
  u = await t.user("client");
});

describe("schedules", () => {
  test("billing-notices every 10 minutes and holds-expiry every minute, croner patterns", async () => {
    expect(BILLING_SCHEDULES.map((s) => [s.name, s.pattern])).toEqual([
      ["billing-notices", "*/10 * * * *"],
      ["holds-expiry", "* * * * *"],
    ]);
    const { Cron } = await import("croner");
    for (const s of BILLING_SCHEDULES) {
      const c = new Cron(s.pattern, { paused: true, timezone: "UTC" });
      expect(c.nextRun()).toBeInstanceOf(Date);
      c.stop();
    }
  });

  test("an admin can run billing-notices now through run-action; a client cannot", async () => {
    const admin = await t.user("admin");
    grantSeconds(t, u.id, 1000, 2);
    const r = await t.call("POST", "/api/v1/admin/system/run-action", {
      token: admin.token,
      body: { action: "billing-notices" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      action: "billing-notices",
      result: {
        expired_grants: 0,
        grant_expiring: 1,
        grant_expired: 0,
        low_balance: 0,
        balance_exhausted: 0,
      },
    });
    expectError(
      await t.call("POST", "/api/v1/admin/system/run-action", {
        token: u.token,
        body: { action: "billing-notices" },
      }),
      403,
      "forbidden",
    );
  });
});

describe("grant expiring", () => {
  test("one notice per grant within expiry_notice_days, however often the schedule runs", async () => {
    const soon = grantSeconds(t, u.id, 1000, 2); // expires in 2 days: inside the 3-day window
    grantSeconds(t, u.id, 1000, 10); // outside the window
    expect(runNotices()).toMatchObject({ grant_expiring: 1 });
    expect(runNotices()).toMatchObject({ grant_expiring: 0 });
    t.clock.advance(HOUR);
    runNotices();
    const n = notes("grant_expiring");
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ user_id: u.id, title: "Minutes expire soon" });
    expect(n[0]!.message).toContain("16 min 40 s");
    expect(dataOf(n[0]!)).toEqual({
      grant_id: soon.id,
      remaining_seconds: 1000,
      expires_at: new Date(soon.expiresAt).toISOString(),
    });
    expect(noticeRows()).toEqual([{ user_id: u.id, grant_id: soon.id, kind: "grant_expiring" }]);
  });

  test("the later grant is noticed once it enters the window; the setting moves the window", async () => {
    grantSeconds(t, u.id, 1000, 10);
    runNotices();
    expect(notes("grant_expiring")).toHaveLength(0);
    t.clock.advance(7 * DAY + MINUTE);
    runNotices();
    runNotices();
    expect(notes("grant_expiring")).toHaveLength(1);

    const v = await t.user();
    grantSeconds(t, v.id, 1000, 9);
    t.ctx.settings.setNow({ expiry_notice_days: 10 }, t.clock.now());
    runNotices();
    expect(notes("grant_expiring", v.id)).toHaveLength(1);
  });

  test("expiry_notice_days = 0 turns the notice off; a grant with nothing left gets none", async () => {
    t.ctx.settings.setNow({ expiry_notice_days: 0 }, t.clock.now());
    grantSeconds(t, u.id, 1000, 1);
    runNotices();
    expect(notes("grant_expiring")).toHaveLength(0);

    t.ctx.settings.setNow({ expiry_notice_days: 3 }, t.clock.now());
    const v = await t.user();
    grantSeconds(t, v.id, 30, 1);
    expect((await record("all", 30, v)).status).toBe(201);
    runNotices();
    expect(notes("grant_expiring", v.id)).toHaveLength(0);
  });

  test("a user with a telegram_id gets a queued telegram.send job; one without does not", async () => {
    const tg = await t.user("client", { telegramId: ++tgSeq });
    grantSeconds(t, tg.id, 600, 1);
    grantSeconds(t, u.id, 600, 1);
    runNotices();
    runNotices();
    expect(notes("grant_expiring")).toHaveLength(2);
    const jobs = telegramJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ chat_id: tgSeq, notification_id: notes("grant_expiring", tg.id)[0]!.id });
    expect(jobs[0].text).toContain("Minutes expire soon");
  });
});

describe("grant expired", () => {
  test("after expires_at the grant is marked expired, with one notice for the unused seconds", async () => {
    const g = grantSeconds(t, u.id, 700, 30);
    const used = grantSeconds(t, u.id, 15, 30);
    // The 15-second grant expires at the same time but was used up: it gets no expired notice.
    t.ctx.sqlite
      .query("UPDATE grants SET remaining_seconds = 0, status = 'exhausted' WHERE id = ?")
      .run(used.id);
    runNotices();
    expect(notes("grant_expired")).toHaveLength(0);

    t.clock.set(g.expiresAt + 1);
    expect(runNotices()).toMatchObject({ expired_grants: 1, grant_expired: 1 });
    expect(runNotices()).toMatchObject({ expired_grants: 0, grant_expired: 0 });
    const status = t.ctx.sqlite.query("SELECT status FROM grants WHERE id = ?").get(g.id) as {
      status: string;
    };
    expect(status.status).toBe("expired");
    const n = notes("grant_expired");
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ user_id: u.id, title: "Minutes expired" });
    expect(dataOf(n[0]!)).toMatchObject({ grant_id: g.id, remaining_seconds: 700 });
    const ev = t.ctx.sqlite.query("SELECT * FROM events WHERE type = 'grant.expired'").all() as any[];
    expect(ev.map((e) => e.subject_id)).toEqual([String(g.id)]);
    // The clock jumped straight past the expiring window, so only the expired notice went out.
    expect(notes("grant_expiring")).toHaveLength(0);
  });

  test("a grant that lapses exactly at its expires_at instant counts as expired", async () => {
    const g = grantSeconds(t, u.id, 100, 1);
    t.clock.set(g.expiresAt);
    runNotices();
    expect(notes("grant_expired")).toHaveLength(1);
  });

  test("the expired notice also goes out for a grant another path already marked expired", async () => {
    const g = grantSeconds(t, u.id, 100, 1);
    t.clock.set(g.expiresAt + MINUTE);
    t.ctx.sqlite.query("UPDATE grants SET status = 'expired' WHERE id = ?").run(g.id);
    expect(runNotices()).toMatchObject({ expired_grants: 0, grant_expired: 1 });
    expect(runNotices()).toMatchObject({ grant_expired: 0 });
  });

  test("balances never waited for the schedule: the lapsed grant stopped counting at its instant", async () => {
    const g = grantSeconds(t, u.id, 100, 1);
    t.clock.set(g.expiresAt);
    const b = await t.call("GET", "/api/v1/users/me/balance", { token: u.token });
    expect(b.body.remaining_seconds).toBe(0);
    expectError(await record("late", 1), 402, "insufficient_minutes");
  });

  test("the expiring then expired life of one grant: each notice once, Telegram for each", async () => {
    const tg = await t.user("client", { telegramId: ++tgSeq });
    const g = grantSeconds(t, tg.id, 900, 5);
    runNotices();
    t.clock.advance(3 * DAY);
    runNotices();
    runNotices();
    t.clock.set(g.expiresAt + MINUTE);
    runNotices();
    runNotices();
    expect(notes(undefined, tg.id).map((n) => n.type)).toEqual(["grant_expiring", "grant_expired"]);
    expect(telegramJobs().map((j) => j.chat_id)).toEqual([tgSeq, tgSeq]);
  });
});

describe("low balance", () => {
  test("fires once when free seconds drop under low_balance_seconds, keyed to the newest grant", async () => {
    const g1 = grantSeconds(t, u.id, 600);
    runNotices();
    expect(notes("low_balance")).toHaveLength(0);
    expect((await record("a", 330)).status).toBe(201); // bills 330: 270 left
    expect(runNotices()).toMatchObject({ low_balance: 1 });
    expect((await record("b", 100)).status).toBe(201); // 165 left: still low, already told
    runNotices();
    let n = notes("low_balance");
    expect(n).toHaveLength(1);
    expect(n[0]!.message).toBe("You have 4 min 30 s left.");
    expect(dataOf(n[0]!)).toEqual({ grant_id: g1.id, remaining_seconds: 270, threshold_seconds: 300 });

    // A new grant re-arms it: above the threshold nothing, below it one more notice.
    t.clock.advance(MINUTE);
    const g2 = grantSeconds(t, u.id, 300);
    runNotices();
    expect(notes("low_balance")).toHaveLength(1);
    expect((await record("c", 240)).status).toBe(201); // 465 - 240 = 225
    runNotices();
    runNotices();
    n = notes("low_balance");
    expect(n).toHaveLength(2);
    expect(dataOf(n[1]!)).toMatchObject({ grant_id: g2.id, remaining_seconds: 225 });
  });

  test("holds count: free seconds are what can be spent now", async () => {
    grantSeconds(t, u.id, 1000);
    const h = await t.call("POST", "/api/v1/usage/holds", { token: u.token, body: { seconds: 800 } });
    expect(h.status).toBe(201);
    runNotices();
    expect(dataOf(notes("low_balance")[0]!)).toMatchObject({ remaining_seconds: 200 });
  });

  test("a zero balance is not 'low'; low_balance_seconds = 0 turns it off", async () => {
    grantSeconds(t, u.id, 30);
    expect((await record("all", 30)).status).toBe(201);
    runNotices();
    expect(notes("low_balance")).toHaveLength(0);

    const v = await t.user();
    grantSeconds(t, v.id, 100);
    t.ctx.settings.setNow({ low_balance_seconds: 0 }, t.clock.now());
    runNotices();
    expect(notes("low_balance", v.id)).toHaveLength(0);
    t.ctx.settings.setNow({ low_balance_seconds: 101 }, t.clock.now());
    runNotices();
    expect(notes("low_balance", v.id)).toHaveLength(1);
  });

  test("a Telegram user's low-balance notice reaches the Bot API through the job queue", async () => {
    const fake = startFakeTelegram();
    try {
      t = makeTestApp({ TELEGRAM_API_BASE: fake.url });
      const tg = await t.user("client", { telegramId: 777 });
      grantSeconds(t, tg.id, 120);
      runNotices();
      runNotices();
      expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
      expect(fake.sent).toHaveLength(1);
      expect(fake.sent[0]).toMatchObject({ token: TEST_BOT_TOKEN, chat_id: 777 });
      expect(fake.sent[0]!.text).toBe("Low minute balance\n\nYou have 2 min left.");
    } finally {
      fake.stop();
    }
  });
});

describe("balance exhausted", () => {
  test("fires once when usage uses the last seconds up, keyed to the newest grant", async () => {
    const g1 = grantSeconds(t, u.id, 60);
    expect((await record("a", 45)).status).toBe(201);
    expect((await record("b", 15)).status).toBe(201);
    expect(runNotices()).toMatchObject({ balance_exhausted: 1, low_balance: 0 });
    runNotices();
    t.clock.advance(HOUR);
    runNotices();
    let n = notes("balance_exhausted");
    expect(n).toHaveLength(1);
    expect(n[0]).toMatchObject({ user_id: u.id, title: "Minutes used up" });
    expect(dataOf(n[0]!)).toEqual({ grant_id: g1.id, remaining_seconds: 0 });

    // The next grant used up is a new exhaustion: one more notice, for that grant.
    const g2 = grantSeconds(t, u.id, 30);
    runNotices();
    expect((await record("c", 30)).status).toBe(201);
    runNotices();
    runNotices();
    n = notes("balance_exhausted");
    expect(n).toHaveLength(2);
    expect(dataOf(n[1]!)).toMatchObject({ grant_id: g2.id });
  });

  test("not while other seconds remain, and not for a newer grant that expired unused", async () => {
    grantSeconds(t, u.id, 30, 5);
    grantSeconds(t, u.id, 600, 30);
    expect((await record("a", 30)).status).toBe(201); // the grant that expires first is used up
    runNotices();
    expect(notes("balance_exhausted")).toHaveLength(0);

    const v = await t.user();
    grantSeconds(t, v.id, 15, 30);
    expect((await record("v1", 15, v)).status).toBe(201);
    runNotices();
    expect(notes("balance_exhausted", v.id)).toHaveLength(1);
    t.clock.advance(MINUTE);
    const unused = grantSeconds(t, v.id, 100, 1);
    t.clock.set(unused.expiresAt + MINUTE);
    runNotices();
    runNotices();
    expect(notes("balance_exhausted", v.id)).toHaveLength(1);
    expect(notes("grant_expired", v.id)).toHaveLength(1);
  });

  test("a Telegram user gets the exhausted notice queued for the bot", async () => {
    const tg = await t.user("client", { telegramId: ++tgSeq });
    grantSeconds(t, tg.id, 15);
    expect((await record("x", 10, tg)).status).toBe(201);
    runNotices();
    runNotices();
    expect(telegramJobs()).toEqual([
      expect.objectContaining({ chat_id: tgSeq, text: expect.stringContaining("Minutes used up") }),
    ]);
  });
});

describe("holds-expiry", () => {
  test("marks lapsed holds expired with an event; open ones are left alone", async () => {
    grantSeconds(t, u.id, 600);
    const post = (body: unknown) => t.call("POST", "/api/v1/usage/holds", { token: u.token, body });
    const short = (await post({ seconds: 60, ttl_seconds: 60 })).body;
    const long = (await post({ seconds: 60, ttl_seconds: 3600 })).body;
    t.clock.advance(2 * MINUTE);
    expect(schedule("holds-expiry").run(t.ctx)).toEqual({ expired_holds: 1 });
    expect(schedule("holds-expiry").run(t.ctx)).toEqual({ expired_holds: 0 });
    const status = (id: number) =>
      (t.ctx.sqlite.query("SELECT status FROM holds WHERE id = ?").get(id) as { status: string }).status;
    expect(status(short.id)).toBe("expired");
    expect(status(long.id)).toBe("open");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM events WHERE type = 'holds.expired'").get()).toEqual(
      { n: 1 },
    );
  });
});

describe("humanSeconds", () => {
  test("formats minutes and seconds", () => {
    expect([0, 5, 60, 61, 3600].map(humanSeconds)).toEqual(["0 s", "5 s", "1 min", "1 min 1 s", "60 min"]);
  });
});
