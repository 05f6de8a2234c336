import type { AppContext } from "../context";
import type { Tx } from "./client";

/**
 * A write verb's one synchronous, immediate transaction (DESIGN.md §1: no await inside), with the
 * clock read once so every row of the change carries the same instant.
 */
export function write<T>(ctx: Pick<AppContext, "db" | "clock">, fn: (tx: Tx, now: number) => T): T {
  const now = ctx.clock.now();
  return ctx.db.transaction((tx) => fn(tx, now), { behavior: "immediate" });
}
