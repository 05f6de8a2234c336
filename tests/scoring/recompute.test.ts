import { Database } from "bun:sqlite";
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DAY, HOUR } from "../../src/lib/time";
import { SCHEDULES } from "../../src/modules";
import { type RecomputeProgress, recomputeScores } from "../../src/modules/scoring/recompute";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { runSouk } from "../helpers/cli";
import { makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";
import {
  act,
  clientRow,
  expertRow,
  isoNow,
  placeOrder,
  runAction,
  scoringWorld,
  signUp,
  V1,
} from "./helpers";

let t: TestApp;
beforeEach(() => {
  t = makeTestApp();
});

const events = (type: string) =>
  t.ctx.sqlite.query("SELECT payload FROM events WHERE type = ? ORDER BY id").all(type) as {
    payload: string;
  }[];

describe("recomputeScores", () => {
  test("the account-age term moves with time: the rebuild brings every risk up to date", async () => {
    const c = await signUp(t);
    t.clock.advance(10 * DAY);
    expect(clientRow(t, c.id)).toMatchObject({ risk_score: 25 });
    recomputeScores(t.ctx);
    // Age (30 - 10) / 30 * 15 = 10 + experience 10 = 20: low now.
    expect(clientRow(t, c.id)).toMatchObject({
      risk_score: 20,
      risk_level: "low",
      updated_at: t.clock.now(),
    });
    const me = await t.call("GET", `${V1}/me`, { token: c.token });
    expect(me.body).toMatchObject({ risk_score: 20, risk_level: "low", risk_updated_at: isoNow(t) });
    t.clock.advance(20 * DAY);
    recomputeScores(t.ctx);
    expect(clientRow(t, c.id)).toMatchObject({ risk_score: 10, risk_level: "low" });
  });

  test("accounts from before scores get their rows from the tables; staff get none", async () => {
    const s = makeSubject(t);
    const client = await t.user("client");
    const expert = await makeExpert(t, [s.id]);
    const admin = await t.user("admin");
    // Rows written straight into the tables, without events: one cancelled order of two, taken
    // 3 hours after creation, the other completed 1 hour after.
    const created = t.clock.now();
    makeOrder(t, {
      clientId: client.id,
      subjectId: s.id,
      status: "cancelled",
      expertId: expert.id,
      takenAt: created + 3 * HOUR,
    });
    makeOrder(t, {
      clientId: client.id,
      subjectId: s.id,
      status: "completed",
      expertId: expert.id,
      takenAt: created + HOUR,
    });
    expect(clientRow(t, client.id)).toBeNull();
    expect(expertRow(t, expert.id)).toBeNull();

    const r = recomputeScores(t.ctx);
    expect(r).toEqual({ done: 3, total: 3, clients: 1, experts: 1, corrected: 0 });
    // 1 of 2 cancelled 22.5 + age 15 + experience (5 - 1) / 5 * 10 = 8 -> 45.5.
    expect(clientRow(t, client.id)).toMatchObject({
      orders_total: 2,
      orders_cancelled: 1,
      orders_completed: 1,
      risk_score: 45.5,
      risk_level: "medium",
    });
    // rating 20 (no reviews), success 30 * 1 / 2 = 15, timeliness 15, mean take 2 h: 15 * 22 / 23 = 14.35.
    expect(expertRow(t, expert.id)).toMatchObject({
      orders_taken: 2,
      orders_completed: 1,
      orders_failed: 1,
      take_hours_sum: 4,
      response_score: 14.35,
      master_score: 64.35,
    });
    expect(clientRow(t, admin.id)).toBeNull();
    expect(expertRow(t, admin.id)).toBeNull();
  });

  test("batches by user id with a progress report after each; rows that had drifted are corrected and counted", async () => {
    for (let i = 0; i < 5; i++) await signUp(t);
    const staff = await t.user("support");
    // A stored row that disagrees with the tables (as after a failed upkeep).
    t.ctx.sqlite.query("UPDATE client_stats SET orders_total = 7, risk_score = 99 WHERE user_id = 2").run();
    const seen: RecomputeProgress[] = [];
    const r = recomputeScores(t.ctx, { batch: 2, onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([
      { done: 2, total: 6, clients: 2, experts: 0 },
      { done: 4, total: 6, clients: 4, experts: 0 },
      { done: 6, total: 6, clients: 5, experts: 0 },
    ]);
    expect(r).toEqual({ done: 6, total: 6, clients: 5, experts: 0, corrected: 1 });
    expect(clientRow(t, 2)).toMatchObject({ orders_total: 0, risk_score: 25 });
    expect(clientRow(t, staff.id)).toBeNull();
    // Once corrected, a second run finds nothing.
    expect(recomputeScores(t.ctx).corrected).toBe(0);
    // Each run is recorded once, with its counts.
    expect(events("scores.recomputed").map((e) => JSON.parse(e.payload))).toEqual([
      { users: 6, clients: 5, experts: 0, corrected: 1 },
      { users: 6, clients: 5, experts: 0, corrected: 0 },
    ]);
  });

  test("an empty database: nothing to do, still recorded", () => {
    expect(recomputeScores(t.ctx)).toEqual({ done: 0, total: 0, clients: 0, experts: 0, corrected: 0 });
    expect(events("scores.recomputed")).toHaveLength(1);
  });
});

describe("the nightly schedule scores-recompute", () => {
  test("is registered nightly and admins can run it now; it matches the live figures", async () => {
    const s = SCHEDULES.find((x) => x.name === "scores-recompute");
    expect(s).toMatchObject({ pattern: "30 0 * * *" });
    const w = await scoringWorld(t);
    const c = await signUp(t);
    const o = await placeOrder(t, c, w.subject.id);
    await act(t, o, "take", w.expert);
    await act(t, o, "cancel", c);
    const before = { client: clientRow(t, c.id), expert: expertRow(t, w.expert.id) };
    const result = await runAction(t, w.admin, "scores-recompute");
    // The world's admin and expert, the client: the admin has no rows.
    expect(result).toEqual({ done: 3, total: 3, clients: 1, experts: 1, corrected: 0 });
    expect(clientRow(t, c.id)).toEqual(before.client);
    expect(expertRow(t, w.expert.id)).toEqual(before.expert);
    const status = await t.call("GET", `${V1}/admin/system/status`, { token: w.admin.token });
    expect(JSON.stringify(status.body)).toContain("scores-recompute");
  });

  test("only staff who may run actions can run it", async () => {
    const c = await signUp(t);
    const support = await t.user("support");
    for (const token of [c.token, support.token]) {
      expectError(
        await t.call("POST", `${V1}/admin/system/run-action`, {
          token,
          body: { action: "scores-recompute" },
        }),
        403,
        "forbidden",
      );
    }
    expectError(
      await t.call("POST", `${V1}/admin/system/run-action`, { body: { action: "scores-recompute" } }),
      401,
      "unauthenticated",
    );
    expect(events("scores.recomputed")).toHaveLength(0);
  });
});

describe("souk recompute-scores", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const run = (args: string[], dataDir: string) => runSouk(args, dataDir);

  test("rebuilds from the tables with a progress line per batch; bad --batch is a usage error", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "souk-scores-"));
    dirs.push(dataDir);
    expect((await run(["migrate"], dataDir)).code).toBe(0);
    // Filled over a plain connection that closes before the child writes (see the replay-rules test).
    const db = new Database(join(dataDir, "souk.db"));
    const now = Date.now();
    const user = db.query(
      "INSERT INTO users (email, username, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    );
    const ids = ["client", "client", "expert", "admin", "client"].map(
      (role, i) => (user.get(`u${i}@cli.test`, `u${i}`, role, now - 40 * DAY, now) as { id: number }).id,
    );
    db.query("INSERT INTO subjects (name, created_at, updated_at) VALUES ('Maths', ?, ?)").run(now, now);
    const order = db.query(
      "INSERT INTO orders (client_id, expert_id, title, subject_id, status, taken_at, created_at, updated_at) VALUES (?, ?, 'T', 1, ?, ?, ?, ?)",
    );
    order.run(ids[0]!, ids[2]!, "cancelled", now - 10 * DAY + 12 * HOUR, now - 10 * DAY, now);
    order.run(ids[0]!, ids[2]!, "completed", now - 10 * DAY + 12 * HOUR, now - 10 * DAY, now);
    db.close();

    const r = await run(["recompute-scores", "--batch=2"], dataDir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toStartWith("recomputing scores in ");
    expect(lines.slice(1, 4)).toEqual([
      "users 2/5: 2 client risks, 0 expert scores",
      "users 4/5: 2 client risks, 1 expert scores",
      "users 5/5: 3 client risks, 1 expert scores",
    ]);
    expect(lines[4]).toMatch(/^done in \d+ ms: 3 client risks, 1 expert scores, 0 rows corrected$/);

    const check = new Database(join(dataDir, "souk.db"), { readonly: true });
    // Forty days old, 1 of 2 cancelled (22.5), one completed (8): 30.5.
    expect(
      check.query("SELECT risk_score, risk_level FROM client_stats WHERE user_id = ?").get(ids[0]!),
    ).toEqual({
      risk_score: 30.5,
      risk_level: "medium",
    });
    // No orders, no reviews, forty days old: 10.
    expect(check.query("SELECT risk_score FROM client_stats WHERE user_id = ?").get(ids[1]!)).toEqual({
      risk_score: 10,
    });
    // rating 20, success 15, timeliness 15, taken 12 h after creation: 15 * 12 / 23 = 7.83.
    expect(check.query("SELECT master_score FROM expert_stats WHERE user_id = ?").get(ids[2]!)).toEqual({
      master_score: 57.83,
    });
    expect(check.query("SELECT count(*) AS n FROM client_stats WHERE user_id = ?").get(ids[3]!)).toEqual({
      n: 0,
    });
    check.close();

    for (const bad of [["--batch=0"], ["--batch=abc"], ["--batch=100001"], ["--batch=1.5"]]) {
      const b = await run(["recompute-scores", ...bad], dataDir);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain("--batch must be a whole number");
    }
  }, 60_000);
});
