import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../src/cli/command";
import { cliDates } from "../../src/cli/compute-daily-metrics";
import { runSouk } from "../helpers/cli";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const souk = (args: string[], dataDir: string) => runSouk(args, dataDir);

describe("cliDates", () => {
  const today = "2026-11-22";
  test("--date, --from/--to, or nothing for yesterday; today may be computed", () => {
    expect(cliDates({ date: "2026-11-01" }, today)).toEqual({ from: "2026-11-01", to: "2026-11-01" });
    expect(cliDates({ from: "2026-05-01", to: "2026-11-22" }, today)).toEqual({
      from: "2026-05-01",
      to: "2026-11-22",
    });
    expect(cliDates({}, today)).toEqual({ from: "2026-11-21", to: "2026-11-21" });
  });

  test.each([
    [{ date: "2026-11-31" }, "--date must be a date as YYYY-MM-DD"],
    [{ date: "21.11.2026" }, "--date must be a date as YYYY-MM-DD"],
    [{ from: "2026-11-01" }, "--from and --to go together"],
    [{ to: "2026-11-01" }, "--from and --to go together"],
    [{ date: "2026-11-01", from: "2026-11-01", to: "2026-11-02" }, "either --date or --from and --to"],
    [{ from: "2026-11-03", to: "2026-11-02" }, "--from 2026-11-03 is after --to 2026-11-02"],
    [{ date: "2026-11-23" }, "2026-11-23 has not happened yet (today is 2026-11-22, UTC)"],
  ])("%j is a usage error", (v, message) => {
    expect(() => cliDates(v, today)).toThrow(UsageError);
    expect(() => cliDates(v, today)).toThrow(message);
  });
});

describe("souk compute-daily-metrics", () => {
  test("prints a line per day and stores each day's row; a second run replaces them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "souk-daily-"));
    dirs.push(dataDir);
    expect((await souk(["migrate"], dataDir)).code).toBe(0);
    // Filled over a plain connection that is closed before the CLI writes.
    const db = new Database(join(dataDir, "souk.db"));
    const user = db.query(
      "INSERT INTO users (email, role, created_at, updated_at) VALUES (?, 'client', ?, ?) RETURNING id",
    );
    const a = user.get("a@x.test", Date.parse("2026-01-10T10:00:00Z"), 0) as { id: number };
    const b = user.get("b@x.test", Date.parse("2026-01-12T23:00:00Z"), 0) as { id: number };
    const event = db.query(
      "INSERT INTO events (type, actor_id, payload, created_at) VALUES ('user.registered', ?, '{}', ?)",
    );
    event.run(a.id, Date.parse("2026-01-10T10:00:00Z"));
    event.run(a.id, Date.parse("2026-01-12T09:00:00Z"));
    event.run(b.id, Date.parse("2026-01-12T23:00:00Z"));
    db.close();

    const r = await souk(["compute-daily-metrics", "--from=2026-01-10", "--to", "2026-01-12"], dataDir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toStartWith("2026-01-10  users +1, active 1, orders +0 / 0 completed / 0 cancelled");
    expect(lines[0]).toContain("gmv 0.00 RUB, revenue 0.00 RUB, purchases 0 (0.00 RUB)");
    expect(lines[0]).toContain("rating -  (new, ");
    expect(lines[1]).toStartWith("2026-01-11  users +0, active 0,");
    expect(lines[2]).toStartWith("2026-01-12  users +1, active 2,");
    expect(lines[3]).toMatch(/^computed 3 days \(2026-01-10 to 2026-01-12\) of .*souk\.db in \d+ ms$/);

    const again = await souk(["compute-daily-metrics", "--date=2026-01-12"], dataDir);
    expect(again.code).toBe(0);
    const [line, summary] = again.stdout.trim().split("\n");
    expect(line).toStartWith("2026-01-12  users +1, active 2,");
    expect(line).toContain("(replaced, ");
    expect(summary).toStartWith("computed 1 day (2026-01-12) of ");

    const check = new Database(join(dataDir, "souk.db"));
    expect(
      check.query("SELECT date, new_users, active_users, currency FROM daily_metrics ORDER BY date").all(),
    ).toEqual([
      { date: "2026-01-10", new_users: 1, active_users: 1, currency: "RUB" },
      { date: "2026-01-11", new_users: 0, active_users: 0, currency: "RUB" },
      { date: "2026-01-12", new_users: 1, active_users: 2, currency: "RUB" },
    ]);
    check.close();

    // Wrong usage exits 2 and writes nothing.
    for (const bad of [
      ["compute-daily-metrics", "--date=2026-1-12"],
      ["compute-daily-metrics", "--from=2026-01-12"],
      ["compute-daily-metrics", "--date=2999-01-01"],
      ["compute-daily-metrics", "--days=3"],
    ]) {
      const u = await souk(bad, dataDir);
      expect(u.code).toBe(2);
      expect(u.stderr).toContain("souk compute-daily-metrics: ");
      expect(u.stdout).toBe("");
    }
    const after = new Database(join(dataDir, "souk.db"));
    expect(after.query("SELECT count(*) AS n FROM daily_metrics").get()).toEqual({ n: 3 });
    after.close();

    const help = await souk(["compute-daily-metrics", "--help"], dataDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      "Usage: souk compute-daily-metrics [--date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD]",
    );
  }, 60_000);
});
