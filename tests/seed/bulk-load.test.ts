import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createIndexes, dropIndexes, secondaryIndexes } from "../../src/seed-scale/bulk-load";

test("the index rebuild sorts with its own settings and gives the connection its own back", () => {
  const db = new Database(":memory:");
  db.exec("PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY; PRAGMA threads = 0");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)");
  db.exec("CREATE INDEX t_a ON t (a, id); CREATE UNIQUE INDEX t_b ON t (b)");
  const defs = secondaryIndexes(db, ["t"]);
  expect(defs.map((d) => d.name)).toEqual(["t_a", "t_b"]);
  dropIndexes(db, defs);
  const insert = db.prepare("INSERT INTO t (a, b) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) insert.run((i * 7919) % 1000, `k${i}`);
  })();
  const steps: string[] = [];
  createIndexes(db, defs, (s) => steps.push(`${s.done}/${s.total} ${s.table}`));
  expect(steps).toEqual(["0/1 ", "1/1 t"]);
  // The indexes are back, word for word, and used.
  expect(secondaryIndexes(db, ["t"])).toEqual(defs);
  const plan = db.query("EXPLAIN QUERY PLAN SELECT id FROM t WHERE a = 5").all() as { detail: string }[];
  expect(plan.map((p) => p.detail).join()).toContain("t_a");
  expect(() => insert.run(1, "k1")).toThrow(/UNIQUE/);
  const pragma = (name: string) => (db.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[name];
  expect([pragma("cache_size"), pragma("temp_store"), pragma("threads")]).toEqual([-1048576, 2, 0]);
});
