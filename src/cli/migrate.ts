import { MIGRATIONS } from "../db/migrations.gen";
import { cliEnv, defineCommand } from "./command";
import { databaseLabel, migrateDatabase } from "./context";

export const migrate = defineCommand({
  name: "migrate",
  usage: "",
  description: [
    "Applies the pending migrations to the database (DATA_DIR/souk.db, or DATABASE_URL) and lists",
    "them. serve does the same on start; this is for deploy steps that migrate first.",
  ].join("\n"),
  options: {},
  async run() {
    const env = cliEnv();
    const applied = migrateDatabase(env);
    const where = databaseLabel(env);
    if (applied.length) console.log(`migrated ${where}: applied ${applied.join(", ")}`);
    else console.log(`${where} is up to date (${MIGRATIONS.length} migrations, none pending)`);
    return 0;
  },
});
