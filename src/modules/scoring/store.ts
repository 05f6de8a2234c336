import { getTableColumns, type Table } from "drizzle-orm";
import type { Queryable } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import { clientStats, expertStats } from "../../db/schema";
import { accountAgeDays, type ClientInputs, clientRisk, type ExpertInputs, expertScore } from "./formulas";

export type ClientStatsRow = typeof clientStats.$inferSelect;
export type ExpertStatsRow = typeof expertStats.$inferSelect;

/** [key, column name] of every column, in the schema's order (integers, reals and text: no decoding). */
const columnsOf = (t: Table) => Object.entries(getTableColumns(t)).map(([key, c]) => [key, c.name] as const);
const CLIENT = columnsOf(clientStats);
const EXPERT = columnsOf(expertStats);

/** `s.col AS "key", …`: a raw row shaped like `$inferSelect`. */
const selectOf = (cols: typeof CLIENT) => cols.map(([key, name]) => `s.${name} AS "${key}"`).join(", ");

/** `INSERT … ON CONFLICT (user_id) DO UPDATE` of every column: one statement creates or replaces a row. */
function upsertOf(table: string, cols: typeof CLIENT) {
  const names = cols.map(([, name]) => name);
  return `INSERT INTO ${table} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})
    ON CONFLICT (user_id) DO UPDATE SET ${names
      .filter((n) => n !== "user_id")
      .map((n) => `${n} = excluded.${n}`)
      .join(", ")}`;
}

type Binding = string | number;
const bind = (cols: typeof CLIENT, row: ClientStatsRow | ExpertStatsRow) =>
  cols.map(([key]) => (row as Record<string, Binding>)[key]!);
// The upkeep runs these inside order transactions: prepared once per connection (DESIGN.md §1).
const stmts = preparedPer((db) => ({
  client: prepare<Partial<ClientStatsRow> & { createdAt: number }, [number]>(
    db,
    `SELECT u.created_at AS "createdAt", ${selectOf(CLIENT)}
     FROM users u LEFT JOIN client_stats s ON s.user_id = u.id WHERE u.id = ?`,
  ),
  expert: prepare<ExpertStatsRow, [number]>(
    db,
    `SELECT ${selectOf(EXPERT)} FROM expert_stats s WHERE s.user_id = ?`,
  ),
  clientsIn: prepare<ClientStatsRow, [number, number]>(
    db,
    `SELECT ${selectOf(CLIENT)} FROM client_stats s WHERE s.user_id BETWEEN ? AND ?`,
  ),
  expertsIn: prepare<ExpertStatsRow, [number, number]>(
    db,
    `SELECT ${selectOf(EXPERT)} FROM expert_stats s WHERE s.user_id BETWEEN ? AND ?`,
  ),
  upsertClient: prepare<unknown, Binding[]>(db, upsertOf("client_stats", CLIENT)),
  upsertExpert: prepare<unknown, Binding[]>(db, upsertOf("expert_stats", EXPERT)),
}));

/**
 * The user's sign-up time and, when they have one, their client stats row (`row` undefined
 * otherwise); undefined for an unknown user.
 */
export function readClient(db: Queryable, userId: number) {
  const r = stmts(db).client.get(userId);
  if (!r) return undefined;
  return { createdAt: r.createdAt, row: r.userId == null ? undefined : (r as ClientStatsRow) };
}

export function readExpert(db: Queryable, userId: number): ExpertStatsRow | undefined {
  return stmts(db).expert.get(userId) ?? undefined;
}

/** The stored rows of the users in [lo, hi], by user id (the rebuild compares them with the sources). */
export function rowsIn(db: Queryable, lo: number, hi: number) {
  const s = stmts(db);
  return {
    clients: new Map(s.clientsIn.all(lo, hi).map((r) => [r.userId, r])),
    experts: new Map(s.expertsIn.all(lo, hi).map((r) => [r.userId, r])),
  };
}

/** Computes the risk from the inputs at `now` and writes the whole row. */
export function writeClient(db: Queryable, userId: number, i: ClientInputs, createdAt: number, now: number) {
  const risk = clientRisk(i, accountAgeDays(createdAt, now));
  const row: ClientStatsRow = { userId, ...i, riskScore: risk.score, riskLevel: risk.level, updatedAt: now };
  stmts(db).upsertClient.run(...bind(CLIENT, row));
  return row;
}

/** Computes the four components and the master score from the inputs and writes the whole row. */
export function writeExpert(db: Queryable, userId: number, i: ExpertInputs, now: number) {
  const s = expertScore(i);
  const row: ExpertStatsRow = {
    userId,
    ...i,
    ratingScore: s.rating,
    successScore: s.success,
    timelinessScore: s.timeliness,
    responseScore: s.response,
    masterScore: s.master,
    updatedAt: now,
  };
  stmts(db).upsertExpert.run(...bind(EXPERT, row));
  return row;
}

/** The inputs part of a stored row. */
export const clientInputsOf = (r: ClientStatsRow): ClientInputs => ({
  ordersTotal: r.ordersTotal,
  ordersCancelled: r.ordersCancelled,
  ordersCompleted: r.ordersCompleted,
  negativeFlags: r.negativeFlags,
  reviewsReceived: r.reviewsReceived,
  ratingSum: r.ratingSum,
});

export const expertInputsOf = (r: ExpertStatsRow): ExpertInputs => ({
  reviewsCount: r.reviewsCount,
  ratingSum: r.ratingSum,
  ordersTaken: r.ordersTaken,
  ordersCompleted: r.ordersCompleted,
  ordersFailed: r.ordersFailed,
  slaBreaches: r.slaBreaches,
  takeHoursSum: r.takeHoursSum,
});
