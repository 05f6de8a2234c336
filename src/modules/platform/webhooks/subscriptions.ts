import type { Database } from "bun:sqlite";
import type { AppContext } from "../../../context";

/**
 * Enabled subscription endpoints (those without an owner) by pattern, per connection. emit runs on
 * hot paths such as usage recording, so an event no endpoint wants costs a few Map lookups.
 * Endpoint writes drop the index; the next emit rebuilds it from the table.
 */
type FanoutIndex = {
  size: number;
  exact: Map<string, number[]>;
  /** `order.*` is kept under `order.`. */
  prefix: Map<string, number[]>;
  all: number[];
};

const indexes = new WeakMap<Database, FanoutIndex>();
const NONE: number[] = [];

export function invalidateFanout(ctx: Pick<AppContext, "sqlite">) {
  indexes.delete(ctx.sqlite);
}

function build(sqlite: Database): FanoutIndex {
  const idx: FanoutIndex = { size: 0, exact: new Map(), prefix: new Map(), all: [] };
  const rows = sqlite
    .query<{ id: number; event_types: string }, []>(
      "SELECT id, event_types FROM webhook_endpoints WHERE enabled = 1 AND deleted_at IS NULL AND owner_type IS NULL ORDER BY id",
    )
    .all();
  const add = (m: Map<string, number[]>, k: string, id: number) => {
    const l = m.get(k);
    if (l) l.push(id);
    else m.set(k, [id]);
  };
  for (const r of rows) {
    const patterns = JSON.parse(r.event_types) as string[];
    if (!patterns.length) continue;
    idx.size++;
    for (const p of patterns) {
      if (p === "*") idx.all.push(r.id);
      else if (p.endsWith(".*")) add(idx.prefix, p.slice(0, -1), r.id);
      else add(idx.exact, p, r.id);
    }
  }
  return idx;
}

function indexOf(ctx: Pick<AppContext, "sqlite">): FanoutIndex {
  let idx = indexes.get(ctx.sqlite);
  if (!idx) {
    idx = build(ctx.sqlite);
    indexes.set(ctx.sqlite, idx);
  }
  return idx;
}

/** Whether any enabled endpoint subscribes to anything. */
export const hasSubscriptions = (ctx: Pick<AppContext, "sqlite">) => indexOf(ctx).size > 0;

/** Endpoint ids whose patterns match the type, each once, in id order. */
export function matchingEndpoints(ctx: Pick<AppContext, "sqlite">, type: string): number[] {
  const idx = indexOf(ctx);
  if (idx.size === 0) return NONE;
  const hits: number[][] = [];
  if (idx.all.length) hits.push(idx.all);
  const exact = idx.exact.get(type);
  if (exact) hits.push(exact);
  if (idx.prefix.size) {
    // A prefix pattern matches where the type has a dot: `order.` and `order.status.` for `order.status.changed`.
    for (let i = type.indexOf("."); i !== -1; i = type.indexOf(".", i + 1)) {
      const l = idx.prefix.get(type.slice(0, i + 1));
      if (l) hits.push(l);
    }
  }
  if (hits.length === 0) return NONE;
  if (hits.length === 1) return hits[0]!;
  return [...new Set(hits.flat())].sort((a, b) => a - b);
}
