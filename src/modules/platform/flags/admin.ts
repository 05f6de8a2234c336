import { eq, inArray } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { featureFlags, users } from "../../../db/schema";
import { write } from "../../../db/write";
import { ApiError, conflict, notFound } from "../../../lib/errors";
import type { AdminActor } from "../../accounts/admin";
import { audit } from "../audit";
import { emit } from "../events/service";
import type { FlagCreate, FlagPatch, FlagView } from "./schemas";
import { builtInView, FLAG_DEFAULTS, invalidateFlagCache, viewOf } from "./service";

type Change = { type: string; key: string; before: FlagView | null; after: FlagView | null };

/** Timestamps and author move on every save; they alone do not make a change. */
const state = (v: FlagView | null) =>
  v && JSON.stringify({ ...v, created_at: null, updated_at: null, updated_by: null });

/**
 * One flag write: the audit row (always) and the event (when the flag changed) in its transaction;
 * the cache is dropped once it is over, committed or not, so it is rebuilt from what committed.
 */
function flagWrite(ctx: AppContext, actor: AdminActor, fn: (tx: Tx, now: number) => Change): FlagView | null {
  try {
    return write(ctx, (tx, now) => {
      const c = fn(tx, now);
      const details = { key: c.key, before: c.before, after: c.after };
      audit(tx, now, {
        actorId: actor.id,
        action: c.type,
        targetType: "flag",
        targetId: c.key,
        details,
        ip: actor.ip,
        requestId: actor.requestId,
      });
      if (state(c.before) !== state(c.after)) {
        emit(tx, now, {
          type: c.type,
          actorId: actor.id,
          subjectType: "flag",
          subjectId: c.key,
          payload: details,
        });
      }
      return c.after;
    });
  } finally {
    invalidateFlagCache(ctx);
  }
}

/** 400 naming the listed user ids that are no user of souk's. */
function assertUsersExist(ctx: AppContext, ids: readonly number[]) {
  if (!ids.length) return;
  const found = new Set(
    ctx.db
      .select({ id: users.id })
      .from(users)
      .where(inArray(users.id, [...ids]))
      .all()
      .map((r) => r.id),
  );
  const unknown = ids.filter((id) => !found.has(id));
  if (unknown.length) {
    throw new ApiError("validation_failed", "request validation failed", {
      issues: [{ path: "json.user_ids", message: `no such users: ${unknown.slice(0, 20).join(", ")}` }],
    });
  }
}

const uniq = <T>(xs: readonly T[]) => [...new Set(xs)];

const rowOf = (tx: Tx, key: string) => tx.select().from(featureFlags).where(eq(featureFlags.key, key)).get();

export function createFlag(ctx: AppContext, actor: AdminActor, b: FlagCreate): FlagView {
  const userIds = uniq(b.user_ids);
  assertUsersExist(ctx, userIds);
  return flagWrite(ctx, actor, (tx, now) => {
    if (rowOf(tx, b.key)) throw conflict(`flag ${b.key} already exists`, { key: b.key });
    // A built-in flag is listed with its default already: it is changed with PATCH.
    if (FLAG_DEFAULTS[b.key] !== undefined) {
      throw conflict(`flag ${b.key} is built in: change it with PATCH`, { key: b.key });
    }
    const row = tx
      .insert(featureFlags)
      .values({
        key: b.key,
        description: b.description,
        enabled: b.enabled,
        rolloutPercent: b.rollout_percent,
        roles: uniq(b.roles),
        userIds,
        createdAt: now,
        updatedAt: now,
        updatedBy: actor.id,
      })
      .returning()
      .get();
    return { type: "flag.created", key: b.key, before: null, after: viewOf(row) };
  })!;
}

/** Changes the given fields; on a built-in flag not saved yet, saves it (its default plus the change). */
export function updateFlag(ctx: AppContext, actor: AdminActor, key: string, p: FlagPatch): FlagView {
  const userIds = p.user_ids && uniq(p.user_ids);
  if (userIds) assertUsersExist(ctx, userIds);
  return flagWrite(ctx, actor, (tx, now) => {
    const row = rowOf(tx, key);
    const before = row ? viewOf(row) : builtInView(key);
    if (!before) throw notFound("flag");
    const values = {
      description: p.description ?? before.description,
      enabled: p.enabled ?? before.enabled,
      rolloutPercent: p.rollout_percent ?? before.rollout_percent,
      roles: p.roles ? uniq(p.roles) : before.roles,
      userIds: userIds ?? before.user_ids,
      updatedAt: now,
      updatedBy: actor.id,
    };
    const saved = row
      ? tx.update(featureFlags).set(values).where(eq(featureFlags.key, key)).returning().get()
      : tx
          .insert(featureFlags)
          .values({ key, ...values, createdAt: now })
          .returning()
          .get();
    return { type: "flag.updated", key, before, after: viewOf(saved) };
  })!;
}

/** Deletes a saved flag; a built-in one returns to its default (shown as `after`). */
export function deleteFlag(ctx: AppContext, actor: AdminActor, key: string): void {
  flagWrite(ctx, actor, (tx) => {
    const row = rowOf(tx, key);
    if (!row) throw notFound("flag");
    tx.delete(featureFlags).where(eq(featureFlags.key, key)).run();
    return { type: "flag.deleted", key, before: viewOf(row), after: builtInView(key) };
  });
}
