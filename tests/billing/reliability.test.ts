import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type RunningServer, seedMinutes, startServer, tempDataDir } from "../helpers/server";

const running: RunningServer[] = [];
afterAll(async () => {
  for (const s of running) await s.stop("SIGKILL").catch(() => {});
});

const usage = (url: string, key: string, id: string, seconds: number) =>
  fetch(`${url}/api/v1/usage/record`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ id, seconds }),
  });

describe("reliability against a real server process", () => {
  test("300 concurrent usages against exactly 240 blocks: 240 succeed, 60 get 402, balance ends at 0", async () => {
    const dir = tempDataDir();
    const { key } = seedMinutes(dir, 240 * 15);
    const s = await startServer(dir);
    running.push(s);
    const statuses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => usage(s.url, key, `c${i}`, 1 + (i % 15)).then((r) => r.status)),
    );
    expect(statuses.filter((x) => x === 201).length).toBe(240);
    expect(statuses.filter((x) => x === 402).length).toBe(60);
    const bal = await fetch(`${s.url}/api/v1/users/me/balance`, {
      headers: { authorization: `Bearer ${key}` },
    }).then((r) => r.json() as Promise<any>);
    expect(bal.remaining_seconds).toBe(0);
    expect(await s.stop()).toBe(0);
  }, 30_000);

  test("kill -9 under usage load loses no acknowledged usage; the database is intact", async () => {
    const dir = tempDataDir();
    const granted = 10_000_000;
    const { key, userId } = seedMinutes(dir, granted);
    const s = await startServer(dir);
    running.push(s);
    const acked = new Set<string>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const id = `w${w}-${i}`;
        try {
          const r = await usage(s.url, key, id, 1 + (i % 30));
          if (r.status === 201) acked.add(id);
        } catch {
          return; // the server died mid-request: that usage was never acknowledged
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, w) => worker(w));
    await Bun.sleep(1500);
    s.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    await s.proc.exited;
    expect(acked.size).toBeGreaterThan(100);

    // Restart: the server must come back and serve the same numbers.
    const again = await startServer(dir);
    running.push(again);
    const bal = await fetch(`${again.url}/api/v1/users/me/balance`, {
      headers: { authorization: `Bearer ${key}` },
    }).then((r) => r.json() as Promise<any>);
    await again.stop();

    const db = new Database(join(dir, "souk.db"));
    expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    const ids = new Set(
      (
        db.query("SELECT usage_id FROM usage_events WHERE user_id = ?").all(userId) as { usage_id: string }[]
      ).map((r) => r.usage_id),
    );
    const missing = [...acked].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    const billed = (
      db.query("SELECT COALESCE(SUM(billed_seconds), 0) AS s FROM usage_events").get() as { s: number }
    ).s;
    const allocated = (
      db.query("SELECT COALESCE(SUM(seconds), 0) AS s FROM usage_allocations").get() as { s: number }
    ).s;
    const remaining = (db.query("SELECT SUM(remaining_seconds) AS s FROM grants").get() as { s: number }).s;
    expect(allocated).toBe(billed);
    expect(remaining).toBe(granted - billed);
    expect(bal.remaining_seconds).toBe(granted - billed);
    db.close();
  }, 60_000);
});
