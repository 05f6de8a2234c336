import { and, asc, eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Queryable } from "../../db/client";
import { packages } from "../../db/schema";
import { notFound } from "../../lib/errors";

export type PackageRow = typeof packages.$inferSelect;

export const serializePackage = (p: PackageRow) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  seconds: p.seconds,
  minutes: Math.floor(p.seconds / 60),
  price: p.price,
  currency: p.currency,
  validity_days: p.validityDays,
  is_active: p.isActive,
});

export function listActivePackages(ctx: AppContext) {
  return ctx.db
    .select()
    .from(packages)
    .where(eq(packages.isActive, true))
    .orderBy(asc(packages.sortOrder), asc(packages.price), asc(packages.id))
    .all();
}

/** A package that can be bought now: unknown and deactivated ones are both 404. */
export function getActivePackage(db: Queryable, id: number): PackageRow {
  const p = db
    .select()
    .from(packages)
    .where(and(eq(packages.id, id), eq(packages.isActive, true)))
    .get();
  if (!p) throw notFound("package");
  return p;
}
