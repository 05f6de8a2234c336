import type { CommandEntry } from "./command";

/**
 * Every CLI command, in the order the help lists them. A new command is a file in this folder
 * (its usage, options and run, see defineCommand) and an entry here.
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "serve",
    summary: "serve the API (the default command); migrates the database first",
    load: async () => (await import("./serve")).serve,
  },
  {
    name: "migrate",
    summary: "create or upgrade the database, then exit",
    load: async () => (await import("./migrate")).migrate,
  },
  {
    name: "seed",
    summary: "add demo logins, packages and a catalog (--demo); --scale N: 180 days of N x 1,000 users",
    load: async () => (await import("./seed")).seed,
  },
  {
    name: "create-admin",
    summary: "create the first admin account (while none exists)",
    load: async () => (await import("./create-admin")).createAdmin,
  },
  {
    name: "backup",
    summary: "write a verified copy of the live database to a file (safe while souk serves)",
    load: async () => (await import("./backup")).backup,
  },
  {
    name: "restore",
    summary: "replace the database with a checked backup (souk stopped; the old one is kept aside)",
    load: async () => (await import("./restore")).restore,
  },
  {
    name: "check",
    summary: "check the books: ledger sums, negative balances, held money against escrow",
    load: async () => (await import("./check")).check,
  },
  {
    name: "replay-rules",
    summary: "evaluate the rules again over the last N events (an action never runs twice per event)",
    load: async () => (await import("./replay-rules")).replayRulesCommand,
  },
  {
    name: "compute-daily-metrics",
    summary: "compute the daily metrics of a day (--date) or a range (--from, --to); default yesterday",
    load: async () => (await import("./compute-daily-metrics")).computeDailyMetricsCommand,
  },
  {
    name: "recompute-scores",
    summary: "rebuild every client risk and expert score from orders and reviews (progress per batch)",
    load: async () => (await import("./recompute-scores")).recomputeScoresCommand,
  },
  {
    name: "healthcheck",
    summary: "exit 0 if the running server answers /healthz, else 1",
    load: async () => (await import("./healthcheck")).healthcheck,
  },
];
