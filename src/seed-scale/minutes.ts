import { DAY, MINUTE } from "../lib/time";
import { billedSeconds } from "../modules/billing/usage";
import { buyPackage } from "./payments";
import type { PackageRow, Person, World } from "./world";

const SERVICES = ["speechkit", "speechkit", "speechkit", "speechkit", "stt"];

/** Heavier users buy bigger packages: Starter, Standard, Pro by sort order. */
function choosePackage(w: World, p: Person): PackageRow {
  const heavy = Math.min(1, p.usageRate / 2);
  const i = w.rng.weighted([0.55 - 0.35 * heavy, 0.33, 0.12 + 0.35 * heavy]);
  return w.packages[Math.min(i, w.packages.length - 1)]!;
}

/**
 * A Screph user: buys a first package a little after signing up, then records usage as a
 * Poisson process while active. A usage the minutes do not cover is refused (402, no row) and
 * most users buy another package and record it once the minutes arrive.
 */
export function startMinutes(w: World, p: Person) {
  const t = w.after(p.signup, w.rng.exp(2 * DAY) + 10 * MINUTE);
  if (t > Math.min(p.churnAt, p.bannedAt)) return;
  w.at(t, () => buyPackage(w, p, choosePackage(w, p), t, (paid) => nextUsage(w, p, paid)));
}

function nextUsage(w: World, p: Person, from: number) {
  const t = w.nextArrival(from, p.usageRate, Math.min(p.churnAt, p.bannedAt, w.end));
  if (!Number.isFinite(t)) return;
  const seconds = Math.max(1, Math.min(5400, Math.round(w.rng.logNormal(75, 1.1))));
  w.at(t, () => useMinutes(w, p, seconds, true));
}

/** One usage record (billing/usage.ts UsageBook.record): FIFO over the grants, by expiry. */
function useMinutes(w: World, p: Person, seconds: number, mayBuy: boolean) {
  const t = w.timeline.now;
  const billed = billedSeconds(seconds, w.settings.blockSeconds);
  const held = w.grantsByUser.get(p.id) ?? [];
  const grants = held.filter((g) => g.status === "active" && g.expiresAt > t);
  // Spent and lapsed grants never come back (time only moves on): keep the user's list to the live ones.
  if (grants.length < held.length) w.grantsByUser.set(p.id, grants);
  const spendable = grants.reduce((s, g) => s + g.remaining, 0);
  if (billed > spendable) {
    w.tally.usageRejected++;
    if (mayBuy && w.rng.chance(0.8)) {
      // Refused for want of minutes: the user buys more and records the session again.
      buyPackage(w, p, choosePackage(w, p), t, (paid) =>
        w.at(w.after(paid, w.rng.uniform(1, 20) * MINUTE), () => useMinutes(w, p, seconds, false)),
      );
    } else nextUsage(w, p, t);
    return;
  }
  const allocations: [number, number][] = [];
  let left = billed;
  for (const g of grants) {
    if (left === 0) break;
    if (g.remaining === 0) continue;
    const take = Math.min(left, g.remaining);
    g.remaining -= take;
    if (g.remaining === 0) g.status = "exhausted";
    allocations.push([g.id, take]);
    left -= take;
  }
  const usageId = w.rng.uuid();
  const service = w.rng.pick(SERVICES);
  // Screph sends when the recognition happened, a few seconds before it reports it (not always).
  const occurredAt = w.rng.chance(0.7) ? Math.floor(t - w.rng.uniform(1, 30) * 1000) : null;
  const id = w.w.insert(
    "usage_events",
    p.id,
    usageId,
    seconds,
    billed,
    service,
    occurredAt,
    spendable - billed,
    t,
  );
  for (const [grantId, s] of allocations) w.w.insert("usage_allocations", id, grantId, s);
  w.w.event(t, "usage.recorded", p.id, "user", p.id, {
    id: usageId,
    seconds,
    billed_seconds: billed,
    hold_id: null,
  });
  nextUsage(w, p, t);
}
