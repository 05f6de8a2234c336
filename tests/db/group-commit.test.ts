import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { GroupCommit, groupCommit, MAX_GROUP } from "../../src/db/group-commit";

function fresh() {
  const db = new Database(":memory:", { strict: true });
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
  db.exec(
    "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE, parent_id INTEGER REFERENCES parent(id))",
  );
  db.exec("INSERT INTO parent (id) VALUES (1)");
  const insert = db.prepare<never, [string]>("INSERT INTO t (v) VALUES (?)");
  const values = () =>
    db
      .query<{ v: string }, []>("SELECT v FROM t ORDER BY id")
      .all()
      .map((r) => r.v);
  return { db, gc: new GroupCommit(db), insert, values };
}

describe("GroupCommit", () => {
  test("writes submitted in one turn share one transaction and all resolve after it", async () => {
    const { db, gc, insert, values } = fresh();
    const seen: boolean[] = [];
    const all = Array.from({ length: 10 }, (_, i) =>
      gc.run(() => {
        seen.push(db.inTransaction);
        insert.run(`v${i}`);
        return i;
      }),
    );
    expect(values()).toEqual([]); // nothing runs before the turn ends
    expect(await Promise.all(all)).toEqual([...Array(10).keys()]);
    expect(seen.every(Boolean)).toBe(true);
    expect(gc.stats).toEqual({ groups: 1, writes: 10 });
    expect(values()).toHaveLength(10);
    expect(db.inTransaction).toBe(false);
  });

  test("a write that throws is rolled back alone and rejects alone", async () => {
    const { gc, insert, values } = fresh();
    const ok1 = gc.run(() => insert.run("a"));
    const bad = gc.run(() => {
      insert.run("b");
      throw new Error("refused");
    });
    const dup = gc.run(() => insert.run("a")); // UNIQUE violation: rolled back, the first "a" stays
    const ok2 = gc.run(() => insert.run("c"));
    const [r1, rBad, rDup, r2] = await Promise.allSettled([ok1, bad, dup, ok2]);
    expect([r1.status, r2.status]).toEqual(["fulfilled", "fulfilled"]);
    expect(rBad.status === "rejected" && String(rBad.reason)).toMatch("refused");
    expect(rDup.status === "rejected" && String(rDup.reason)).toMatch(/UNIQUE/);
    expect(values()).toEqual(["a", "c"]);
    expect(gc.stats.groups).toBe(1);
  });

  test("a failed COMMIT rejects every write of the group and leaves nothing", async () => {
    const { db, gc, insert, values } = fresh();
    const ok = gc.run(() => insert.run("kept?"));
    // A deferred foreign key is checked at COMMIT: the whole group's COMMIT fails.
    const breaker = gc.run(() => {
      db.exec("PRAGMA defer_foreign_keys = ON");
      db.query("INSERT INTO t (v, parent_id) VALUES ('orphan', 999)").run();
    });
    const [a, b] = await Promise.allSettled([ok, breaker]);
    expect(a.status === "rejected" && String(a.reason)).toMatch(/FOREIGN KEY/);
    expect(b.status === "rejected" && String(b.reason)).toMatch(/FOREIGN KEY/);
    expect(values()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    // The queue still works afterwards.
    await gc.run(() => insert.run("after"));
    expect(values()).toEqual(["after"]);
  });

  test(`a long queue is committed in groups of at most ${MAX_GROUP}`, async () => {
    const { gc, insert, values } = fresh();
    const n = MAX_GROUP * 2 + 5;
    await Promise.all(Array.from({ length: n }, (_, i) => gc.run(() => insert.run(`v${i}`))));
    expect(gc.stats).toEqual({ groups: 3, writes: n });
    expect(values()).toEqual(Array.from({ length: n }, (_, i) => `v${i}`));
  });

  test("writes submitted in separate turns get separate groups", async () => {
    const { gc, insert } = fresh();
    await gc.run(() => insert.run("x"));
    await gc.run(() => insert.run("y"));
    expect(gc.stats).toEqual({ groups: 2, writes: 2 });
  });

  test("one queue per connection", () => {
    const a = new Database(":memory:");
    const b = new Database(":memory:");
    expect(groupCommit(a)).toBe(groupCommit(a));
    expect(groupCommit(a)).not.toBe(groupCommit(b));
  });

  test("property: exactly the writes that did not throw are kept, each promise says which", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 150 }), async (fails) => {
        const { gc, insert, values } = fresh();
        const outcomes = await Promise.allSettled(
          fails.map((fail, i) =>
            gc.run(() => {
              insert.run(`v${i}`);
              if (fail) throw new Error(`no ${i}`);
              return i;
            }),
          ),
        );
        const kept = fails.flatMap((fail, i) => (fail ? [] : [`v${i}`]));
        expect(values()).toEqual(kept);
        outcomes.forEach((o, i) => {
          expect(o.status).toBe(fails[i] ? "rejected" : "fulfilled");
        });
      }),
      { numRuns: 60 },
    );
  });
});
