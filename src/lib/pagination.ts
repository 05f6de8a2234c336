import { z } from "@hono/zod-openapi";
import { count, type InferSelectModel, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Queryable } from "../db/client";

export const PageQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(20),
});
export type PageQuery = z.infer<typeof PageQuery>;

export type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

/** Builds the `{count, next, previous, results}` envelope; links keep the caller's other query params. */
export function page<T>(url: string, q: PageQuery, count: number, results: T[]): Page<T> {
  const link = (p: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("page_size", String(q.page_size));
    return u.pathname + u.search;
  };
  return {
    count,
    next: q.page * q.page_size < count ? link(q.page + 1) : null,
    previous: q.page > 1 ? link(q.page - 1) : null,
    results,
  };
}

export const offset = (q: PageQuery) => (q.page - 1) * q.page_size;

export const pageSchema = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });

/**
 * The count and one page of a table's rows, newest first by default: the shape every list
 * endpoint shares (`{count, …, results}` is then built with `page()`).
 */
export function pageOf<T extends SQLiteTable>(
  db: Queryable,
  table: T,
  where: SQL | undefined,
  q: PageQuery,
  ...order: (SQL | SQLiteColumn)[]
): { total: number; rows: InferSelectModel<T>[] } {
  const total = db
    .select({ n: count() })
    .from(table as SQLiteTable)
    .where(where)
    .get()!.n;
  const rows = db
    .select()
    .from(table as SQLiteTable)
    .where(where)
    .orderBy(...order)
    .limit(q.page_size)
    .offset(offset(q))
    .all() as InferSelectModel<T>[];
  return { total, rows };
}
