import { existsSync } from "node:fs";
import { BackupError, backupDatabase } from "../modules/platform/system/backup";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { localDatabaseFile } from "./context";

const NAME = "backup";

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export const backup = defineCommand({
  name: NAME,
  usage: "<file> [--json]",
  positionals: ["file"],
  description: [
    "Writes a consistent copy of the database (DATA_DIR/souk.db, or DATABASE_URL) to <file> while",
    "souk keeps serving: SQLite's VACUUM INTO, on a read-only connection of its own, in one read",
    "transaction. The copy is written beside <file> under a temporary name and checked before it",
    "takes the name: PRAGMA integrity_check must answer ok, and the ledger must balance (every",
    "currency's balances sum to zero, each balance equals its transfers). A copy that fails is",
    "deleted and the command exits 1. <file> must not exist. The database itself is not changed.",
  ].join("\n"),
  options: {
    json: { type: "boolean", help: "print the report as one JSON object" },
  },
  examples: [
    `${FROM_SOURCE} ${NAME} ./souk-$(date -u +%Y%m%dT%H%M%SZ).db`,
    `souk ${NAME} /backups/souk.db --json`,
  ],
  async run(v, _entry, [file]) {
    if (!file) throw new UsageError("name the file to write: souk backup <file>", NAME);
    const env = cliEnv();
    const db = localDatabaseFile(env, NAME, "back up");
    if (!existsSync(db)) {
      console.error(`souk ${NAME}: no database at ${db}: nothing to back up`);
      return 1;
    }
    try {
      const r = await backupDatabase(db, file);
      if (v.json) console.log(JSON.stringify(r));
      else {
        console.log(
          `backed up ${db} to ${r.path}: ${mb(r.bytes)}, ${r.tables} tables, ${r.rows} rows; integrity ok, ledger balanced (${r.ms} ms)`,
        );
      }
      return 0;
    } catch (e) {
      if (!(e instanceof BackupError)) throw e;
      console.error(`souk ${NAME}: ${e.message}${e.reason === "exists" ? "" : "; no backup was written"}`);
      return 1;
    }
  },
});
