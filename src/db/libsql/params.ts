/**
 * Named parameters (`$start`, `:id`, `@n`) rewritten to numbered ones (`?1`, `?2`).
 *
 * Why (trap): libsql 0.5.29 panics in its native statement code (statement.rs, `unwrap` on
 * `None`) and aborts the process when a write with named parameters is delegated from an
 * embedded replica to the primary. Numbered parameters travel fine, so every statement is
 * rewritten once, at prepare time, and an object of bindings is turned into an array.
 */
export type Rewritten = { sql: string; names: string[] | null };

/** Skips quoted strings, quoted identifiers and comments; numbers each distinct name once. */
export function rewriteNamedParams(sql: string): Rewritten {
  const names: string[] = [];
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === "`" || ch === "[") {
      const close = ch === "[" ? "]" : ch;
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === close) {
          // '' inside a string (and "" inside an identifier) is an escaped quote, not the end.
          if (close !== "]" && sql[j + 1] === close) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (ch === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      const j = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, j);
      i = j;
    } else if ((ch === "$" || ch === ":" || ch === "@") && /[A-Za-z_]/.test(sql[i + 1] ?? "")) {
      let j = i + 1;
      while (j < sql.length && /\w/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = names.indexOf(name);
      if (n === -1) n = names.push(name) - 1;
      out += `?${n + 1}`;
      i = j;
    } else {
      out += ch;
      i++;
    }
  }
  return names.length ? { sql: out, names } : { sql, names: null };
}

/** The bindings of one call, in the order the rewritten statement numbers them. */
export function bindArgs(names: string[] | null, args: unknown[]): unknown[] {
  const first = args[0];
  if (
    names &&
    args.length === 1 &&
    first !== null &&
    typeof first === "object" &&
    !ArrayBuffer.isView(first)
  ) {
    const record = first as Record<string, unknown>;
    return names.map((name) => {
      // bun:sqlite (strict) binds { id } to $id, :id and @id; accept the prefixed key too.
      const v =
        name in record ? record[name] : (record[`$${name}`] ?? record[`:${name}`] ?? record[`@${name}`]);
      if (v === undefined) throw new RangeError(`missing value for parameter ${name}`);
      return normalise(v);
    });
  }
  return args.map(normalise);
}

/** bun:sqlite binds booleans as 0/1; libsql refuses them. */
function normalise(v: unknown): unknown {
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}
