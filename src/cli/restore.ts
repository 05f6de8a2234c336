import { RestoreRefused, restoreDatabase } from "../modules/platform/system/backup-restore";
import { cliEnv, defineCommand, UsageError } from "./command";
import { localDatabaseFile } from "./context";

const NAME = "restore";

export const restore = defineCommand({
  name: NAME,
  usage: "<file>",
  positionals: ["file"],
  description: [
    "Replaces the database (DATA_DIR/souk.db, or DATABASE_URL) with the backup <file>. Stop souk",
    "first: the restore refuses while a server holds DATA_DIR or has the database open.",
    "",
    "<file> is checked on a copy before anything changes: it must be an SQLite database written by",
    "souk (a __migrations table) with no migration this version does not know (a backup from a newer",
    "souk is refused). Older backups are migrated forward. Then PRAGMA integrity_check must answer ok",
    "and the ledger must balance. Only then is the old database, with its -wal and -shm, moved aside",
    "to souk.db.before-restore-<UTC time> (never deleted) and the checked copy put in its place.",
    "Exits 1 with the reason when it refuses; nothing is changed then.",
  ].join("\n"),
  options: {},
  examples: ["souk restore /data/backups/souk-20261122T030000Z.db"],
  async run(_v, _entry, [file]) {
    if (!file) throw new UsageError("name the backup to restore: souk restore <file>", NAME);
    const env = cliEnv();
    const db = localDatabaseFile(env, NAME, "restore into");
    try {
      const r = await restoreDatabase({ dbPath: db, dataDir: env.DATA_DIR, file, now: Date.now() });
      console.log(
        `restored ${r.database} from ${r.from} (${r.tables} tables, ${r.rows} rows; integrity ok, ledger balanced)`,
      );
      if (r.applied.length) console.log(`migrated the backup forward: applied ${r.applied.join(", ")}`);
      if (r.aside.length) console.log(`the previous database is kept as ${r.aside.join(", ")}`);
      console.log("start souk to serve it");
      return 0;
    } catch (e) {
      if (!(e instanceof RestoreRefused)) throw e;
      console.error(`souk ${NAME}: refused: ${e.message}. Nothing was changed.`);
      return 1;
    }
  },
});
