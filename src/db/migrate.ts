import type { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { MIGRATIONS } from "./migrations.gen";

/**
 * Applies the committed drizzle-kit migrations. They are embedded into the bundle by
 * `scripts/embed-migrations.ts`, so the compiled binary needs no files beside it.
 */
export function migrate(sqlite: Database): { applied: string[] } {
  sqlite.exec(`CREATE TABLE IF NOT EXISTS __migrations (
    tag TEXT PRIMARY KEY, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const done = new Map(
    sqlite
      .query<{ tag: string; hash: string }, []>("SELECT tag, hash FROM __migrations")
      .all()
      .map((r) => [r.tag, r.hash]),
  );
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    const hash = createHash("sha256").update(m.sql).digest("hex");
    const seen = done.get(m.tag);
    if (seen) {
      if (seen !== hash) throw new Error(`migration ${m.tag} was changed after it was applied`);
      continue;
    }
    sqlite.transaction(() => {
      for (const stmt of m.sql.split("--> statement-breakpoint")) {
        if (stmt.trim()) sqlite.exec(stmt);
      }
      sqlite
        .query("INSERT INTO __migrations (tag, hash, applied_at) VALUES (?, ?, ?)")
        .run(m.tag, hash, Date.now());
    })();
    applied.push(m.tag);
  }
  return { applied };
}
