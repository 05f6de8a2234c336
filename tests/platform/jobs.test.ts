import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { Cron } from "croner";
import { SCHEDULES } from "../../src/modules";
import { PLATFORM_SCHEDULES, type Schedule, Scheduler } from "../../src/modules/platform/jobs/cron";
import { backoffMs, JobQueue } from "../../src/modules/platform/jobs/queue";
import { notify } from "../../src/modules/platform/notifications/service";
import { makeTestApp, TEST_BOT_TOKEN, type TestApp } from "../helpers/app";
import { startFakeTelegram } from "../helpers/fake-telegram";

const fake = startFakeTelegram();
afterAll(() => fake.stop());

type JobRow = {
  id: number;
  type: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  last_error: string | null;
  dedupe_key: string | null;
};

let t: TestApp;

beforeEach(() => {
  fake.reset();
  t = makeTestApp({ TELEGRAM_API_BASE: fake.url });
});

const jobsOf = (app: TestApp = t) => app.ctx.sqlite.query("SELECT * FROM jobs ORDER BY id").all() as JobRow[];
const oneJob = (app: TestApp = t) => {
  const all = jobsOf(app);
  expect(all).toHaveLength(1);
  return all[0]!;
};

function notifyUser(userId: number, app: TestApp = t, title = "Order #7 paid", message = "The client paid.") {
  return app.ctx.db.transaction(
    (tx) => notify(app.ctx, tx, { userId, type: "payment_received", title, message, data: { order_id: 7 } }),
    { behavior: "immediate" },
  );
}

describe("Telegram delivery of notifications", () => {
  test("notify() for a user with a telegram_id queues one telegram.send job in the same transaction", async () => {
    const u = await t.user("client", { telegramId: 777000111 });
    const nid = notifyUser(u.id);
    const job = oneJob();
    expect(job).toMatchObject({
      type: "telegram.send",
      status: "queued",
      attempts: 0,
      max_attempts: 6, // MAX_ORDER_RETRIES (5) + 1
      run_at: t.clock.now(),
      dedupe_key: `telegram:notification:${nid}`,
    });
    expect(JSON.parse(job.payload)).toEqual({
      chat_id: 777000111,
      text: "Order #7 paid\n\nThe client paid.",
      notification_id: nid,
    });
  });

  test("no job for a user without a telegram_id, nor when no bot token is configured", async () => {
    const plain = await t.user("client");
    notifyUser(plain.id);
    expect(jobsOf()).toEqual([]);

    const noBot = makeTestApp({ TELEGRAM_API_BASE: fake.url, TELEGRAM_BOT_TOKEN: "" });
    const tg = await noBot.user("client", { telegramId: 5 });
    notifyUser(tg.id, noBot);
    expect(jobsOf(noBot)).toEqual([]);
    // The in-app notification exists all the same.
    expect(noBot.ctx.sqlite.query("SELECT count(*) AS n FROM notifications").get()).toEqual({ n: 1 });
  });

  test("drain() delivers it: the fake saw the bot token, chat_id and text; the job is done", async () => {
    const u = await t.user("client", { telegramId: 42 });
    notifyUser(u.id);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({
      token: TEST_BOT_TOKEN,
      chat_id: 42,
      text: "Order #7 paid\n\nThe client paid.",
    });
    expect(oneJob()).toMatchObject({ status: "done", attempts: 1, last_error: null });
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    expect(fake.sent).toHaveLength(1);
  });

  test("a TELEGRAM_API_BASE with a trailing slash still reaches /bot<token>/sendMessage", async () => {
    const app = makeTestApp({ TELEGRAM_API_BASE: `${fake.url}/` });
    const u = await app.user("client", { telegramId: 4242 });
    notifyUser(u.id, app);
    expect(await app.ctx.jobs.drain(app.ctx)).toBe(1);
    expect(oneJob(app).status).toBe("done");
    expect(fake.sent.map((m) => [m.token, m.chat_id])).toEqual([[TEST_BOT_TOKEN, 4242]]);
  });

  test("drain() runs due jobs oldest run_at first and leaves future ones", async () => {
    const a = await t.user("client", { telegramId: 1 });
    const b = await t.user("client", { telegramId: 2 });
    notifyUser(a.id);
    t.clock.advance(1000);
    notifyUser(b.id);
    t.ctx.sqlite.query("UPDATE jobs SET run_at = ? WHERE id = 1").run(t.clock.now() + 60_000);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(fake.sent.map((m) => m.chat_id)).toEqual([2]);
    t.clock.advance(60_000);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(fake.sent.map((m) => m.chat_id)).toEqual([2, 1]);
  });

  test("a job enqueued in a transaction that rolls back does not exist (nor its notification)", async () => {
    const u = await t.user("client", { telegramId: 99 });
    expect(() =>
      t.ctx.db.transaction(
        (tx) => {
          notify(t.ctx, tx, { userId: u.id, type: "system", title: "t", message: "m" });
          throw new Error("rolled back");
        },
        { behavior: "immediate" },
      ),
    ).toThrow("rolled back");
    expect(jobsOf()).toEqual([]);
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM notifications").get()).toEqual({ n: 0 });
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    expect(fake.calls).toBe(0);
  });
});

describe("retries and backoff", () => {
  test.each([
    // [MAX_ORDER_RETRIES, RETRY_BASE_DELAY_SECONDS, RETRY_BACKOFF_FACTOR]
    [3, 7, 3],
    [2, 5, 2],
    [4, 1, 1.5],
    [0, 5, 2],
  ])(
    "on 500 the job is re-queued at now + base*factor^(attempt-1) and fails after MAX_ORDER_RETRIES=%p + 1 attempts (base %p s, factor %p)",
    async (maxRetries, base, factor) => {
      t.ctx.settings.setNow({
        MAX_ORDER_RETRIES: maxRetries,
        RETRY_BASE_DELAY_SECONDS: base,
        RETRY_BACKOFF_FACTOR: factor,
      });
      const u = await t.user("client", { telegramId: 123 });
      notifyUser(u.id);
      fake.failNext(100, 500);
      const attempts = maxRetries + 1;
      expect(oneJob().max_attempts).toBe(attempts);

      for (let attempt = 1; attempt <= attempts; attempt++) {
        expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
        expect(fake.calls).toBe(attempt);
        const job = oneJob();
        expect(job.attempts).toBe(attempt);
        expect(job.last_error).toContain("500");
        if (attempt === attempts) {
          expect(job.status).toBe("failed");
          break;
        }
        const delay = Math.round(base * 1000 * factor ** (attempt - 1));
        expect(job.status).toBe("queued");
        expect(job.run_at).toBe(t.clock.now() + delay);
        // Not run again before its time.
        expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
        t.clock.advance(delay - 1);
        expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
        expect(fake.calls).toBe(attempt);
        t.clock.advance(1);
      }
      // A failed job is never picked up again.
      t.clock.advance(365 * 86_400_000);
      expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
      expect(fake.calls).toBe(attempts);
      expect(fake.sent).toHaveLength(0);
    },
  );

  test("a transient failure then success ends done, delivered once", async () => {
    const u = await t.user("client", { telegramId: 5 });
    notifyUser(u.id);
    fake.failNext(2, 502, "Bad Gateway");
    await t.ctx.jobs.drain(t.ctx);
    t.clock.advance(backoffMs(t.ctx, 1));
    await t.ctx.jobs.drain(t.ctx);
    t.clock.advance(backoffMs(t.ctx, 2));
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(oneJob()).toMatchObject({ status: "done", attempts: 3, last_error: null });
    expect(fake.sent).toHaveLength(1);
  });

  test("a 403 from Telegram (bot blocked) fails the job at once", async () => {
    const u = await t.user("client", { telegramId: 6 });
    notifyUser(u.id);
    fake.forbidNext();
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    const job = oneJob();
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job.last_error).toContain("403");
    t.clock.advance(86_400_000);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(0);
    expect(fake.calls).toBe(1);
  });

  test.each([
    [400, "permanent", "failed"],
    [404, "permanent", "failed"],
    [429, "retried", "queued"],
    [500, "retried", "queued"],
    [503, "retried", "queued"],
  ])("HTTP %p from Telegram is %s", async (status, _kind, expected) => {
    const u = await t.user("client", { telegramId: 8 });
    notifyUser(u.id);
    fake.failNext(1, status, "nope");
    await t.ctx.jobs.drain(t.ctx);
    expect(oneJob().status).toBe(expected);
  });

  test("a network error (nothing listening) is retried", async () => {
    const dead = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const url = `http://127.0.0.1:${dead.port}`;
    dead.stop(true);
    const app = makeTestApp({ TELEGRAM_API_BASE: url });
    const u = await app.user("client", { telegramId: 9 });
    notifyUser(u.id, app);
    expect(await app.ctx.jobs.drain(app.ctx)).toBe(1);
    const job = oneJob(app);
    expect(job).toMatchObject({
      status: "queued",
      attempts: 1,
      run_at: app.clock.now() + backoffMs(app.ctx, 1),
    });
    expect(job.last_error).toBeTruthy();
    // The bot token lives in the URL: it must not leak into the stored error.
    expect(job.last_error).not.toContain(TEST_BOT_TOKEN);
  });

  test("a job type without a handler fails at once", async () => {
    t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type: "nobody.handles", payload: {} }));
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(oneJob()).toMatchObject({ status: "failed", attempts: 1 });
    expect(oneJob().last_error).toContain("no handler");
  });

  test("the same dedupe key is queued once", async () => {
    for (let i = 0; i < 3; i++) {
      t.ctx.db.transaction((tx) =>
        t.ctx.jobs.enqueue(t.ctx, tx, {
          type: "telegram.send",
          payload: { chat_id: 1, text: "x" },
          dedupeKey: "k1",
        }),
      );
    }
    expect(jobsOf()).toHaveLength(1);
  });

  test.each([
    [5, 2, 1, 5_000],
    [5, 2, 2, 10_000],
    [5, 2, 3, 20_000],
    [5, 2, 6, 160_000],
    [7, 3, 3, 63_000],
    [1, 1.5, 3, 2_250],
    [10, 1, 9, 10_000],
  ])("backoffMs with base %p s and factor %p: attempt %p waits %p ms", (base, factor, attempt, ms) => {
    t.ctx.settings.setNow({ RETRY_BASE_DELAY_SECONDS: base, RETRY_BACKOFF_FACTOR: factor });
    expect(backoffMs(t.ctx, attempt)).toBe(ms);
  });
});

describe("the in-process worker", () => {
  test("start() picks up queued work by itself, re-queues jobs cut off by a crash, and stop() waits", async () => {
    const u = await t.user("client", { telegramId: 31 });
    notifyUser(u.id);
    // A job left "running" by a dead process.
    t.ctx.sqlite
      .query("UPDATE jobs SET status = 'running', attempts = 1, locked_at = ? WHERE id = 1")
      .run(t.clock.now());
    t.ctx.jobs.start(t.ctx);
    try {
      const until = Date.now() + 5000;
      while (fake.sent.length < 1 && Date.now() < until) await Bun.sleep(10);
      expect(fake.sent.map((m) => m.chat_id)).toEqual([31]);
      // New work is kicked at once, not only at the next poll.
      notifyUser(u.id, t, "second", "again");
      while (fake.sent.length < 2 && Date.now() < until) await Bun.sleep(5);
      expect(fake.sent.map((m) => m.text)).toEqual(["Order #7 paid\n\nThe client paid.", "second\n\nagain"]);
    } finally {
      await t.ctx.jobs.stop();
    }
    expect(jobsOf().map((j) => j.status)).toEqual(["done", "done"]);
    // Stopped: nothing runs any more.
    notifyUser(u.id, t, "third", "after stop");
    await Bun.sleep(50);
    expect(fake.sent).toHaveLength(2);
    expect(jobsOf()[2]!.status).toBe("queued");
  });
});

describe("the kick delay", () => {
  test("jobs enqueued one request after another are run in one pass of the worker, not one pass each", async () => {
    // Its own queue with a long delay, so a slow machine cannot split the burst.
    const q = new JobQueue(t.ctx.logger, 60_000, 200);
    const ran: number[] = [];
    q.register("burst.test", async (_ctx, p) => void ran.push(Number(p.i)));
    q.start(t.ctx);
    try {
      await Bun.sleep(20); // start()'s own first look, with nothing queued
      const before = q.stats.passes;
      // Five requests, each committing one job in its own transaction, a few ms apart.
      for (let i = 0; i < 5; i++) {
        t.ctx.db.transaction((tx) => q.enqueue(t.ctx, tx, { type: "burst.test", payload: { i } }));
        await Bun.sleep(3);
      }
      expect(ran).toEqual([]); // nothing runs before the delay is over
      const until = Date.now() + 5000;
      while (ran.length < 5 && Date.now() < until) await Bun.sleep(10);
      expect(ran.sort()).toEqual([0, 1, 2, 3, 4]);
      expect(q.stats.passes - before).toBe(1);
    } finally {
      await q.stop();
    }
  });
});

describe("pumps (work kept outside the jobs table)", () => {
  /** A pump over a list: batches of `size`, as the webhook sender does. */
  function listPump(items: number[], size: number) {
    const calls: number[][] = [];
    const pump = async (_ctx: unknown, max: number) => {
      const batch = items.splice(0, Math.min(size, max));
      if (batch.length) calls.push(batch);
      return { done: batch.length, more: batch.length === Math.min(size, max) };
    };
    return { pump, calls };
  }

  test("drain runs a pump until it has nothing left, and counts what it did", async () => {
    const q = new JobQueue(t.ctx.logger);
    const items = [1, 2, 3, 4, 5];
    const { pump, calls } = listPump(items, 2);
    q.addPump(pump);
    expect(await q.drain(t.ctx)).toBe(5);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
    expect(await q.drain(t.ctx, 1000)).toBe(0);
  });

  test("the worker goes round again only after a full batch: what comes in meanwhile waits for its wake-up", async () => {
    const q = new JobQueue(t.ctx.logger, 60_000);
    const items = [1, 2, 3];
    const { pump, calls } = listPump(items, 2);
    let late = false;
    q.addPump(async (ctx, max) => {
      const r = await pump(ctx, max);
      // Work that arrives while a partial batch is out: not sent as a batch of its own at once.
      if (r.done === 1 && !late) {
        late = true;
        items.push(4);
      }
      return r;
    });
    // The worker's first pass runs at start; no poll comes within the test.
    q.start(t.ctx);
    try {
      const until = Date.now() + 5000;
      while (!late && Date.now() < until) await Bun.sleep(5);
      await Bun.sleep(20);
      expect(calls).toEqual([[1, 2], [3]]);
      expect(items).toEqual([4]);
    } finally {
      await q.stop();
    }
    // A drain (tests, shutdown) takes everything.
    expect(await q.drain(t.ctx)).toBe(1);
  });
});

describe("one job at a time", () => {
  const enqueue = (type: string, i: number) =>
    t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(t.ctx, tx, { type, payload: { i } }));

  test("due jobs of all types run one after another, oldest first, never two at once", async () => {
    const seen: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const handler = (name: string) => async (_c: unknown, p: Record<string, unknown>) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Bun.sleep(2);
      seen.push(`${name}${p.i}`);
      inFlight--;
    };
    t.ctx.jobs.register("a", handler("a"));
    t.ctx.jobs.register("b", handler("b"));
    enqueue("a", 0);
    enqueue("b", 0);
    enqueue("b", 1);
    enqueue("a", 1);
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(4);
    expect(seen).toEqual(["a0", "b0", "b1", "a1"]);
    expect(maxInFlight).toBe(1);
    expect(jobsOf().every((j) => j.status === "done" && j.attempts === 1)).toBe(true);
  });

  test("a job whose outcome cannot be recorded is requeued with a backoff, not left running", async () => {
    t.ctx.jobs.register("ok", async () => {});
    enqueue("ok", 0);
    // Marking it done fails (as a full disk would); putting it back still works.
    t.ctx.sqlite.exec(
      "CREATE TRIGGER no_done BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'done' BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    );
    expect(await t.ctx.jobs.drain(t.ctx, 1)).toBe(1);
    const job = oneJob();
    expect(job.status).toBe("queued");
    expect(job.last_error).toContain("disk full");
    expect(job.run_at).toBe(t.clock.now() + backoffMs(t.ctx, 1));
  });
});

describe("worker resilience", () => {
  test("a database error in the worker is logged, not an unhandled rejection, and polling resumes", async () => {
    const u = await t.user("client", { telegramId: 77 });
    t.ctx.jobs.start(t.ctx);
    try {
      await Bun.sleep(20);
      // The jobs table disappears for a poll or two (as if locked or broken).
      t.ctx.sqlite.exec("ALTER TABLE jobs RENAME TO jobs_away");
      await Bun.sleep(700);
      t.ctx.sqlite.exec("ALTER TABLE jobs_away RENAME TO jobs");
      notifyUser(u.id);
      const until = Date.now() + 5000;
      while (fake.sent.length < 1 && Date.now() < until) await Bun.sleep(10);
      expect(fake.sent.map((m) => m.chat_id)).toEqual([77]);
    } finally {
      await t.ctx.jobs.stop();
    }
  });
});

describe("cron schedules", () => {
  test("the platform registers wal-checkpoint and jobs-cleanup with valid UTC patterns", () => {
    const names = SCHEDULES.map((s) => s.name);
    expect(names).toContain("wal-checkpoint");
    expect(names).toContain("jobs-cleanup");
    expect(new Set(names).size).toBe(names.length);
    for (const s of PLATFORM_SCHEDULES) {
      const c = new Cron(s.pattern, { paused: true, timezone: "UTC" });
      expect(c.nextRun()).toBeInstanceOf(Date);
      c.stop();
    }
    const from = new Date("2026-11-22T10:00:30Z");
    const wal = new Cron("*/5 * * * *", { paused: true, timezone: "UTC" });
    expect(wal.nextRun(from)?.toISOString()).toBe("2026-11-22T10:05:00.000Z");
    wal.stop();
  });

  test("Scheduler runs each schedule on its pattern, survives a failing one, and stops", async () => {
    const runs: string[] = [];
    const every: Schedule[] = [
      {
        name: "tick",
        pattern: "* * * * * *",
        description: "every second",
        run: () => void runs.push("tick"),
      },
      {
        name: "broken",
        pattern: "* * * * * *",
        description: "always throws",
        run: () => {
          runs.push("broken");
          throw new Error("schedule exploded");
        },
      },
    ];
    const scheduler = new Scheduler(every);
    expect(scheduler.list().map((s) => s.name)).toEqual(["tick", "broken"]);
    expect(scheduler.find("tick")?.pattern).toBe("* * * * * *");
    expect(scheduler.find("nope")).toBeUndefined();
    scheduler.start(t.ctx);
    try {
      const until = Date.now() + 3000;
      while (runs.filter((r) => r === "tick").length < 2 && Date.now() < until) await Bun.sleep(20);
    } finally {
      scheduler.stop();
    }
    expect(runs.filter((r) => r === "tick").length).toBeGreaterThanOrEqual(2);
    expect(runs).toContain("broken");
    const seen = runs.length;
    await Bun.sleep(1100);
    expect(runs.length).toBe(seen);
  });
});

describe("backoff cap", () => {
  test("extreme settings never push a retry more than a day out", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ RETRY_BACKOFF_FACTOR: 10, RETRY_BASE_DELAY_SECONDS: 3600 });
    expect(backoffMs(t.ctx, 1)).toBe(3_600_000);
    expect(backoffMs(t.ctx, 40)).toBe(86_400_000);
  });
});
