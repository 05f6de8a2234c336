import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSouk } from "../helpers/cli";

/** `souk seed --demo --scale …` as a user runs it: the real CLI in a child process. */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir() {
  const d = mkdtempSync(join(tmpdir(), "souk-scale-cli-"));
  dirs.push(d);
  return join(d, "data");
}

const seed = (args: string[], dir: string) =>
  runSouk(["seed", ...args], dir, {
    HOME: process.env.HOME ?? tmpdir(),
    PASSWORD_MEMORY_KIB: "1024",
    PASSWORD_TIME_COST: "1",
  });

describe("seed --demo --scale: wrong values are usage errors (exit 2) and touch nothing", () => {
  test.each([
    [
      ["--demo", "--scale", "0"],
      "--scale must be a whole number from 1 to 1000 (thousands of users), not '0'",
    ],
    [["--demo", "--scale", "1001"], "--scale must be a whole number from 1 to 1000"],
    [["--demo", "--scale", "abc"], "not 'abc'"],
    [["--demo", "--scale", "1.5"], "not '1.5'"],
    [["--demo", "--scale=-3"], "not '-3'"],
    [["--demo", "--scale"], "--scale"],
    [
      ["--demo", "--scale", "1", "--seed", "x"],
      "--seed must be a whole number from 0 to 4294967295, not 'x'",
    ],
    [["--demo", "--scale", "1", "--seed", "4294967296"], "--seed must be a whole number"],
    [["--demo", "--seed", "3"], "--seed goes with --scale"],
    [["--demo", "--scale", "1", "--force"], "--force does not apply to --scale"],
    [["--scale", "1"], "seed needs --demo"],
  ])(
    "%p",
    async (args, message) => {
      const dir = dataDir();
      const r = await seed(args, dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(message);
      expect(lines[0]).toContain("souk seed --help");
      expect(existsSync(join(dir, "souk.db"))).toBe(false);
    },
    30_000,
  );

  test("the help names --scale and --seed", async () => {
    const r = await seed(["--help"], dataDir());
    expect(r.code).toBe(0);
    for (const o of ["--scale N", "--seed S", "180 days"]) expect(r.stdout).toContain(o);
  }, 30_000);
});

describe("seed --demo --scale 1", () => {
  test("builds the history with a progress bar on stderr, prints what it made and the logins; a second run is refused", async () => {
    const dir = dataDir();
    const r = await seed(["--demo", "--scale", "1", "--seed", "5"], dir);
    expect(r.code).toBe(0);
    // Not a terminal: one progress line per tenth of the history, then the daily metrics.
    const bars = r.stderr.split("\n").filter((l) => l.startsWith("history ["));
    expect(bars.length).toBeGreaterThanOrEqual(10);
    expect(bars.at(-1)).toContain("[############################] 100%");
    // Then the indexes, dropped for the load, one line per table (after the bar's last line).
    const lines = r.stderr.split("\n");
    const announced = lines.findIndex((l) => /^indexes: rebuilding \d+ indexes of \d+ tables$/.test(l));
    expect(announced).toBe(lines.indexOf(bars.at(-1)!) + 1);
    const tables = Number(/of (\d+) tables/.exec(lines[announced]!)![1]);
    const steps = lines.filter((l) => /^indexes: \d+\/\d+ \w+ \(\d+\) [\d.]+s$/.test(l));
    expect(steps).toHaveLength(tables);
    expect(steps.at(-1)).toStartWith(`indexes: ${tables}/${tables} `);
    expect(r.stdout).toMatch(/built in [\d.]+ s \([\d.]+ s of it rebuilding indexes\)/);
    expect(r.stderr).toContain("daily metrics: 180/180");
    expect(r.stdout).toContain("(seed 5)");
    expect(r.stdout).toContain("180 days of daily metrics");
    expect(r.stdout).toMatch(/users\s+1,000/);
    expect(r.stdout).toContain("orders by status: completed");
    expect(r.stdout).toContain("every password: demo-password");
    expect(r.stdout).toContain("client_1@demo.souk.local");

    const db = new Database(join(dir, "souk.db"), { readonly: true });
    try {
      expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM users").get()!.n).toBe(1000);
      expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM daily_metrics").get()!.n).toBe(180);
      const orders = db.query<{ n: number }, []>("SELECT count(*) AS n FROM orders").get()!.n;
      expect(r.stdout).toMatch(new RegExp(`orders\\s+${orders.toLocaleString("en-US")}\\n`));
    } finally {
      db.close();
    }

    const again = await seed(["--demo", "--scale", "1"], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("needs an empty database, but this one has 1000 users");
    expect(again.stdout).not.toContain("demo history");
  }, 120_000);
});
