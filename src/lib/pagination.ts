import { z } from "@hono/zod-openapi";

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
