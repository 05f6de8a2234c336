import { type AnyColumn, type SQL, sql } from "drizzle-orm";

/**
 * `col` contains `text` literally. LIKE has no escape character unless one is named, so `%`, `_`
 * and `\` in the text are escaped and the clause names ESCAPE '\'. LIKE folds ASCII case only.
 */
export const contains = (col: AnyColumn, text: string): SQL =>
  sql`${col} LIKE ${`%${text.replace(/[%_\\]/g, "\\$&")}%`} ESCAPE '\\'`;
