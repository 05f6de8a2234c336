import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createContext } from "../../src/boot";
import { expertProfiles, expertSpecializations, orders, subjects, users } from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";

const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL").catch(() => {});
});

/** A data dir with `experts` verified experts of one subject and `count` new orders in it. */
async function seedRace(dir: string, experts: number, count: number) {
  const ctx = createContext(parseEnv({ DATA_DIR: dir, LOG_LEVEL: "silent", CRON_ENABLED: "false" }));
  ctx.settings.setNow({ RATE_LIMIT_DEFAULT: "1000000/minute" });
  const now = Date.now();
  const db = ctx.db;
  const subject = db
    .insert(subjects)
    .values({ name: "Maths", createdAt: now, updatedAt: now })
    .returning()
    .get();
  const client = db
    .insert(users)
    .values({ username: "client", role: "client", createdAt: now, updatedAt: now })
    .returning()
    .get();
  const tokens: string[] = [];
  for (let i = 0; i < experts; i++) {
    const u = db
      .insert(users)
      .values({ username: `expert${i}`, role: "expert", createdAt: now, updatedAt: now })
      .returning()
      .get();
    db.insert(expertProfiles).values({ userId: u.id, approvedAt: now, updatedAt: now }).run();
    db.insert(expertSpecializations)
      .values({ userId: u.id, subjectId: subject.id, isVerified: true, verifiedAt: now, createdAt: now })
      .run();
    tokens.push(await signAccessToken(ctx.jwtSecret, u.id, "expert", now, 3600));
  }
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(
      db
        .insert(orders)
        .values({
          clientId: client.id,
          subjectId: subject.id,
          title: `Order ${i}`,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
        .get().id,
    );
  }
  ctx.sqlite.close();
  return { tokens, ids };
}

const take = (url: string, token: string, id: number) =>
  fetch(`${url}/api/v1/orders/${id}/take`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe("take against real server processes", () => {
  test("40 experts take the same orders at once, through two processes on one database: one winner each", async () => {
    const dir = tempDataDir();
    const { tokens, ids } = await seedRace(dir, 40, 5);
    const a = await startServer(dir);
    const b = await startServer(dir);
    running.push(a, b);
    const results = await Promise.all(
      ids.flatMap((id) =>
        tokens.map((tok, i) => take(i % 2 ? a.url : b.url, tok, id).then((r) => ({ id, ...r }))),
      ),
    );
    for (const id of ids) {
      const mine = results.filter((r) => r.id === id);
      const winners = mine.filter((r) => r.status === 200);
      expect(winners).toHaveLength(1);
      const losers = mine.filter((r) => r.status !== 200);
      expect(losers).toHaveLength(39);
      for (const l of losers) expect(l.body.error.code).toBe("already_taken");
    }
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
    const db = new Database(join(dir, "souk.db"));
    const rows = db.query("SELECT id, status, expert_id FROM orders").all() as any[];
    expect(rows.every((r) => r.status === "in_review" && r.expert_id != null)).toBe(true);
    const taken = db.query("SELECT count(*) AS n FROM events WHERE type = 'order.take'").get() as any;
    expect(taken.n).toBe(5);
    db.close();
  }, 60_000);
});
