import { and, asc, desc, eq, getTableName, ne } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { complexities, subjects, workTypes } from "../../../db/schema";
import { write } from "../../../db/write";
import { conflict, notFound } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import type { AdminActor } from "../../accounts/admin";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import type { CatalogCreate, CatalogPatch } from "./schemas";

/**
 * The three catalogs share one table shape (src/db/schema/marketplace.ts `catalogTable`), so one
 * set of verbs serves them all, parameterised by kind.
 */
export const CATALOGS = {
  subjects: { table: subjects, entity: "subject", label: "subject" },
  "work-types": { table: workTypes, entity: "work_type", label: "work type" },
  complexities: { table: complexities, entity: "complexity", label: "complexity" },
} as const;
export type CatalogKind = keyof typeof CATALOGS;
export const CATALOG_KINDS = Object.keys(CATALOGS) as CatalogKind[];

type CatalogTable = typeof subjects;
export type CatalogRow = CatalogTable["$inferSelect"];

const tableOf = (kind: CatalogKind): CatalogTable => CATALOGS[kind].table;

export const serializeCatalogEntry = (r: CatalogRow) => ({
  id: r.id,
  name: r.name,
  description: r.description,
  sort_order: r.sortOrder,
});

export const serializeAdminCatalogEntry = (r: CatalogRow) => ({
  ...serializeCatalogEntry(r),
  is_active: r.isActive,
  created_at: iso(r.createdAt),
  updated_at: iso(r.updatedAt),
});

// ---------- reads ----------

/** Active entries of one catalog, by sort_order then name (the public list). */
export function listActiveCatalog(ctx: AppContext, kind: CatalogKind) {
  const t = tableOf(kind);
  return ctx.db
    .select()
    .from(t)
    .where(eq(t.isActive, true))
    .orderBy(asc(t.sortOrder), asc(t.name), asc(t.id))
    .all()
    .map(serializeCatalogEntry);
}

/** Every entry, inactive ones last, paginated (admin). */
export function listCatalogAdmin(
  ctx: AppContext,
  kind: CatalogKind,
  q: PageQuery & { is_active?: "true" | "false" },
) {
  const t = tableOf(kind);
  const where = q.is_active === undefined ? undefined : eq(t.isActive, q.is_active === "true");
  const { total, rows } = pageOf(ctx.db, t, where, q, desc(t.isActive), asc(t.sortOrder), asc(t.name), t.id);
  return { total, results: rows.map(serializeAdminCatalogEntry) };
}

/**
 * An active entry of a catalog, or undefined: what other modules check before referencing one
 * (orders: subject_id, work_type_id, complexity_id; experts: new specializations).
 */
export function findActiveCatalogEntry(db: Queryable, kind: CatalogKind, id: number): CatalogRow | undefined {
  const r = activeEntryStmts(db)[kind].get(id);
  return r ? { ...r, isActive: r.isActive === 1 } : undefined;
}

// Every order create checks its catalog references: prepared once per catalog and connection.
const activeEntryStmts = preparedPer((db) => {
  const lookup = (kind: CatalogKind) =>
    prepare<Omit<CatalogRow, "isActive"> & { isActive: number }, [number]>(
      db,
      `SELECT id, name, description, is_active AS isActive, sort_order AS sortOrder, created_at AS createdAt,
         updated_at AS updatedAt FROM "${getTableName(tableOf(kind))}" WHERE id = ? AND is_active = 1`,
    );
  return {
    subjects: lookup("subjects"),
    "work-types": lookup("work-types"),
    complexities: lookup("complexities"),
  };
});

// ---------- admin writes ----------

function assertNameFree(tx: Tx, kind: CatalogKind, name: string, selfId?: number) {
  const t = tableOf(kind);
  const clash = tx
    .select({ id: t.id })
    .from(t)
    .where(selfId === undefined ? eq(t.name, name) : and(eq(t.name, name), ne(t.id, selfId)))
    .get();
  if (clash) throw conflict(`a ${CATALOGS[kind].label} with this name exists`, { name, id: clash.id });
}

function load(tx: Tx, kind: CatalogKind, id: number) {
  const t = tableOf(kind);
  const row = tx.select().from(t).where(eq(t.id, id)).get();
  if (!row) throw notFound(CATALOGS[kind].label);
  return row;
}

export const createCatalogEntry = (ctx: AppContext, actor: AdminActor, kind: CatalogKind, b: CatalogCreate) =>
  write(ctx, (tx, now) => {
    assertNameFree(tx, kind, b.name);
    const t = tableOf(kind);
    const row = tx
      .insert(t)
      .values({
        name: b.name,
        description: b.description ?? null,
        sortOrder: b.sort_order ?? 0,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    const { id: _, ...details } = serializeCatalogEntry(row);
    const { entity } = CATALOGS[kind];
    recordAdminAction(tx, now, actor, {
      action: `${entity}.created`,
      targetType: entity,
      targetId: row.id,
      details,
      changed: true,
    });
    return serializeAdminCatalogEntry(row);
  });

export const updateCatalogEntry = (
  ctx: AppContext,
  actor: AdminActor,
  kind: CatalogKind,
  id: number,
  b: CatalogPatch,
) =>
  write(ctx, (tx, now) => {
    load(tx, kind, id);
    if (b.name !== undefined) assertNameFree(tx, kind, b.name, id);
    const t = tableOf(kind);
    const row = tx
      .update(t)
      .set({
        ...(b.name !== undefined && { name: b.name }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.sort_order !== undefined && { sortOrder: b.sort_order }),
        ...(b.is_active !== undefined && { isActive: b.is_active }),
        updatedAt: now,
      })
      .where(eq(t.id, id))
      .returning()
      .get()!;
    const { entity } = CATALOGS[kind];
    recordAdminAction(tx, now, actor, {
      action: `${entity}.updated`,
      targetType: entity,
      targetId: id,
      details: { changes: b },
      changed: true,
    });
    return serializeAdminCatalogEntry(row);
  });

/** Orders and specializations reference entries, so "delete" deactivates and keeps the row. */
export const deactivateCatalogEntry = (ctx: AppContext, actor: AdminActor, kind: CatalogKind, id: number) =>
  write(ctx, (tx, now) => {
    const before = load(tx, kind, id);
    const t = tableOf(kind);
    const row = before.isActive
      ? tx.update(t).set({ isActive: false, updatedAt: now }).where(eq(t.id, id)).returning().get()!
      : before;
    const { entity } = CATALOGS[kind];
    recordAdminAction(tx, now, actor, {
      action: `${entity}.deactivated`,
      targetType: entity,
      targetId: id,
      details: { name: before.name, was_active: before.isActive },
      changed: before.isActive,
    });
    return serializeAdminCatalogEntry(row);
  });

/**
 * For `seed --demo`: the entry with this name, inserted (with its event) when missing. Runs in the
 * caller's transaction.
 */
export function ensureCatalogEntry(
  tx: Tx,
  now: number,
  kind: CatalogKind,
  e: { name: string; description?: string | null; sortOrder?: number },
): { row: CatalogRow; created: boolean } {
  const t = tableOf(kind);
  const existing = tx.select().from(t).where(eq(t.name, e.name)).get();
  if (existing) return { row: existing, created: false };
  const row = tx
    .insert(t)
    .values({
      name: e.name,
      description: e.description ?? null,
      sortOrder: e.sortOrder ?? 0,
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  const { entity } = CATALOGS[kind];
  emit(tx, now, {
    type: `${entity}.created`,
    subjectType: entity,
    subjectId: row.id,
    payload: { name: row.name, seed: true },
  });
  return { row, created: true };
}
