/** The SQLite result codes souk's code tells apart, by their extended number. */
const CODES: Record<number, string> = {
  1: "SQLITE_ERROR",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  8: "SQLITE_READONLY",
  11: "SQLITE_CORRUPT",
  13: "SQLITE_FULL",
  19: "SQLITE_CONSTRAINT",
  275: "SQLITE_CONSTRAINT_CHECK",
  787: "SQLITE_CONSTRAINT_FOREIGNKEY",
  1299: "SQLITE_CONSTRAINT_NOTNULL",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  1811: "SQLITE_CONSTRAINT_TRIGGER",
  2067: "SQLITE_CONSTRAINT_UNIQUE",
  2579: "SQLITE_CONSTRAINT_ROWID",
};

/** What bun:sqlite throws, so callers check `code` the same way on both drivers. */
export class SQLiteError extends Error {
  override name = "SQLiteError";
  constructor(
    message: string,
    readonly code: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

/** The libSQL server could not be reached (down, restarting, network): worth a retry, not a bug. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/**
 * Failures of the link to the server rather than of a statement: libsql wraps them as
 * `WriteDelegation(status: Unavailable|Unknown|…)` (a gRPC status: connection refused, reset by
 * peer while sqld restarts), `Replication(PrimaryHandshakeTimeout)` or `sync error: …`; and the
 * next BEGIN after a transaction the dead link cut off fails once with `InvalidParserState("Init")`
 * (libsql's client-side transaction tracker; seen when sqld was killed mid-burst, the call after
 * it works). A statement's own error is a RemoteSqliteFailure, recognised first.
 */
const UNREACHABLE =
  /^WriteDelegation\(|^Replication\(|^InvalidParserState\(|^sync error|error trying to connect|connection refused|connection reset|broken pipe|timed out|transport error/i;
const REMOTE = /RemoteSqliteFailure\((\d+), (\d+), "(.*)"\)\s*$/s;

/**
 * Why (trap): an error raised on the primary reaches an embedded replica as
 * `RemoteSqliteFailure(3, 2067, "UNIQUE constraint failed: …")` with an empty `code`, so a
 * caller that recognises a duplicate key by `SQLITE_CONSTRAINT_UNIQUE` would see a 500. The
 * extended code is in the text: it is parsed back into `code` and `errno`.
 */
export function sqliteError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const remote = REMOTE.exec(err.message);
  if (remote) {
    const errno = Number(remote[2]);
    return new SQLiteError(remote[3]!, CODES[errno] ?? CODES[errno & 0xff] ?? "SQLITE_ERROR", errno);
  }
  if (UNREACHABLE.test(err.message)) return new DatabaseUnavailableError(err.message.split("\n")[0]);
  const raw = (err as { rawCode?: unknown }).rawCode;
  if (typeof raw === "number") {
    return new SQLiteError(err.message, CODES[raw] ?? CODES[raw & 0xff] ?? "SQLITE_ERROR", raw);
  }
  return err;
}
