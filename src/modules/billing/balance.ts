import type { AppContext } from "../../context";
import { iso } from "../../lib/time";
import { type Statements, statements } from "./statements";

/** Seconds spendable now: active unexpired grants minus open unexpired holds (never below zero). */
export function freeSeconds(s: Statements, userId: number, now: number) {
  const spendable = s.spendable.get(userId, now)!.s;
  const held = s.held.get(userId, now)!.s;
  return { spendable, held, free: Math.max(0, spendable - held) };
}

export const DEFAULT_CURRENCY = "RUB";

/** The balance contract of DESIGN.md §6; expiry is evaluated against the clock, no sweep needed. */
export function minuteBalance(ctx: AppContext, userId: number, currency = DEFAULT_CURRENCY) {
  const s = statements(ctx.sqlite);
  const now = ctx.clock.now();
  const { free, held } = freeSeconds(s, userId, now);
  const wallet = { available: 0, held: 0, currency };
  for (const a of s.wallet.all(String(userId), currency)) {
    if (a.kind === "available") wallet.available = a.balance;
    else if (a.kind === "held") wallet.held = a.balance;
  }
  return {
    remaining_seconds: free,
    remaining_minutes: Math.floor(free / 60),
    held_seconds: held,
    grants: s.activeGrants.all(userId, now).map((g) => ({
      id: g.id,
      package_id: g.package_id,
      remaining_seconds: g.remaining_seconds,
      total_seconds: g.total_seconds,
      purchased_at: iso(g.purchased_at),
      expires_at: iso(g.expires_at),
      status: g.remaining_seconds > 0 ? ("active" as const) : ("exhausted" as const),
    })),
    wallet,
  };
}
