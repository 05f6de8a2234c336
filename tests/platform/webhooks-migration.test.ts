import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { migrate } from "../../src/db/migrate";
import { MIGRATIONS } from "../../src/db/migrations.gen";

const TAG = "0013_webhook_delivery_queue";

/** A database at the migration before TAG, as an older souk left it. */
function before(): Database {
  const db = new Database(":memory:");
  db.exec(
    "CREATE TABLE __migrations (tag TEXT PRIMARY KEY, hash TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  for (const m of MIGRATIONS.slice(
    0,
    MIGRATIONS.findIndex((m) => m.tag === TAG),
  )) {
    for (const stmt of m.sql.split("--> statement-breakpoint")) if (stmt.trim()) db.exec(stmt);
    db.query("INSERT INTO __migrations VALUES (?, ?, 0)").run(
      m.tag,
      createHash("sha256").update(m.sql).digest("hex"),
    );
  }
  return db;
}

test(`${TAG}: pending deliveries take their queued job's schedule, the jobs go, the fan-out starts after the last event`, () => {
  const db = before();
  db.exec(`INSERT INTO webhook_endpoints (id, url, event_types, secret_sealed, created_at, updated_at)
           VALUES (1, 'https://example.com/hook', '["*"]', 'sealed', 0, 0)`);
  for (const id of [7, 8, 9])
    db.query("INSERT INTO events (id, type, payload, created_at) VALUES (?, 'package.created', '{}', 0)").run(
      id,
    );
  const delivery = db.query(
    `INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_id, event_type, payload, status, attempts, created_at, updated_at)
     VALUES (?, 1, ?, ?, 'package.created', '{}', ?, ?, 0, ?)`,
  );
  delivery.run(1, "msg_a", 7, "pending", 2, 100); // retrying: its third try is queued
  delivery.run(2, "msg_b", 8, "succeeded", 1, 200);
  delivery.run(3, "msg_c", 9, "pending", 0, 300); // its job was lost: due at once
  const job = db.query(
    `INSERT INTO jobs (type, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
     VALUES (?, ?, ?, 0, 6, ?, 0, 0)`,
  );
  job.run("webhook.deliver", JSON.stringify({ delivery_id: 1, attempts: 2, try: 3 }), "queued", 5_000);
  job.run("webhook.deliver", JSON.stringify({ delivery_id: 2, attempts: 0, try: 1 }), "done", 0);
  job.run("email.send", JSON.stringify({ to: "a@b.c" }), "queued", 0);

  expect(migrate(db).applied).toEqual([TAG]);
  expect(
    db.query("SELECT id, status, next_attempt_at, round_attempts FROM webhook_deliveries ORDER BY id").all(),
  ).toEqual([
    { id: 1, status: "pending", next_attempt_at: 5_000, round_attempts: 2 },
    { id: 2, status: "succeeded", next_attempt_at: null, round_attempts: 0 },
    { id: 3, status: "pending", next_attempt_at: 300, round_attempts: 0 },
  ]);
  expect(db.query("SELECT type, status FROM jobs ORDER BY id").all()).toEqual([
    { type: "webhook.deliver", status: "done" },
    { type: "email.send", status: "queued" },
  ]);
  expect(db.query("SELECT last_event_id FROM webhook_fanout").all()).toEqual([{ last_event_id: 9 }]);
  // The sender's query reads the partial index, not the whole log.
  const plan = db
    .query(
      `EXPLAIN QUERY PLAN SELECT d.id, e.url FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
       WHERE d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT 32`,
    )
    .all(0) as { detail: string }[];
  const details = plan.map((p) => p.detail).join("\n");
  expect(details).toMatch(/SEARCH d USING (COVERING )?INDEX webhook_deliveries_due_idx/);
  expect(details).not.toContain("TEMP B-TREE");
});
