import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { write } from "../../db/write";
import { emit } from "../platform/events/service";
import type { ClientInputs, ExpertInputs } from "./formulas";
import { sourcesIn } from "./sources";
import { clientInputsOf, expertInputsOf, rowsIn, writeClient, writeExpert } from "./store";

export type RecomputeProgress = {
  /** Users looked at so far, of `total`. */
  done: number;
  total: number;
  clients: number;
  experts: number;
};

export type RecomputeResult = RecomputeProgress & {
  /** Rows whose stored inputs differed from the recount (0 when the live upkeep missed nothing). */
  corrected: number;
};

export const RECOMPUTE_BATCH = 1000;

const sameInputs = <T extends object>(a: T, b: T) =>
  Object.entries(a).every(([k, v]) => (b as Record<string, unknown>)[k] === v);

/**
 * Rebuilds the score rows of the users in [lo, hi] from the source tables: a client row for every
 * client and anyone who ordered, an expert row for every expert, anyone with an expert profile and
 * anyone who took an order, and every row that already exists.
 */
function rebuildRange(tx: Tx, lo: number, hi: number, now: number) {
  const src = sourcesIn(tx, lo, hi);
  const stored = rowsIn(tx, lo, hi);
  let clients = 0;
  let experts = 0;
  let corrected = 0;
  for (const u of src.users) {
    if (u.role === "client" || u.has_client_row || src.hasClientOrders(u.id)) {
      const inputs: ClientInputs = src.client(u.id);
      const before = stored.clients.get(u.id);
      if (before && !sameInputs(inputs, clientInputsOf(before))) corrected++;
      writeClient(tx, u.id, inputs, u.created_at, now);
      clients++;
    }
    if (u.role === "expert" || u.has_profile || u.has_expert_row || src.hasTakenOrders(u.id)) {
      const inputs: ExpertInputs = src.expert(u.id);
      const before = stored.experts.get(u.id);
      if (before && !sameInputs(inputs, expertInputsOf(before))) corrected++;
      writeExpert(tx, u.id, inputs, now);
      experts++;
    }
  }
  return { users: src.users.length, clients, experts, corrected };
}

/**
 * Rebuilds every client and expert score from the source tables, `batch` users per transaction
 * (by id range, so writers wait at most one batch), then records `scores.recomputed`. Run nightly
 * (the account-age term of the risk moves with time), by `souk recompute-scores` and by admins
 * (run-action `scores-recompute`).
 */
export function recomputeScores(
  ctx: AppContext,
  opts: { onProgress?: (p: RecomputeProgress) => void; batch?: number } = {},
): RecomputeResult {
  const batch = opts.batch ?? RECOMPUTE_BATCH;
  const span = ctx.sqlite.query("SELECT min(id) AS lo, max(id) AS hi, count(*) AS n FROM users").get() as {
    lo: number | null;
    hi: number | null;
    n: number;
  };
  const r: RecomputeResult = { done: 0, total: span.n, clients: 0, experts: 0, corrected: 0 };
  if (span.lo != null && span.hi != null) {
    for (let lo = span.lo; lo <= span.hi; lo += batch) {
      const b = write(ctx, (tx, now) => rebuildRange(tx, lo, Math.min(lo + batch - 1, span.hi!), now));
      r.done += b.users;
      r.clients += b.clients;
      r.experts += b.experts;
      r.corrected += b.corrected;
      opts.onProgress?.({ done: r.done, total: r.total, clients: r.clients, experts: r.experts });
    }
  }
  write(ctx, (tx, now) =>
    emit(tx, now, {
      type: "scores.recomputed",
      payload: { users: r.done, clients: r.clients, experts: r.experts, corrected: r.corrected },
    }),
  );
  return r;
}
