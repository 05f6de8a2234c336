import { and, desc, eq, or, type SQL } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { contains } from "../../db/like";
import { type Role, users } from "../../db/schema";
import { conflict, forbidden, notFound } from "../../lib/errors";
import { type PageQuery, pageOf } from "../../lib/pagination";
import { ensureExpertProfile } from "../marketplace/experts/service";
import { audit, recordAdminAction } from "../platform/audit";
import { emit } from "../platform/events/service";
import { notify } from "../platform/notifications/service";
import { clientRiskOf, clientRisksOf, NO_RISK } from "../scoring/read";
import { END_USER_PERMISSIONS, hasPermission, permissionsFor, ROLE_PERMISSIONS } from "./permissions";
import { serializeAdminUser } from "./serialize";
import { revokeAllSessions } from "./sessions";

export type AdminActor = {
  id: number;
  ip?: string;
  requestId?: string;
  /** The actor's effective permissions; absent for trusted callers (CLI). */
  permissions?: readonly string[];
};

/** Staff act only within their own powers: on such users, and handing out only what they could hold. */
function assertWithin(actor: AdminActor, role: Role, granted: readonly string[]) {
  if (!actor.permissions) return;
  const ceiling = [...actor.permissions, ...END_USER_PERMISSIONS];
  const beyond = permissionsFor(role, granted).filter((p) => !hasPermission(ceiling, p));
  if (beyond.length) throw forbidden(`beyond your own permissions: ${beyond.join(", ")}`);
}

/** A user search: emails and usernames are stored lower-cased; names are matched as typed. */
export const userMatches = (text: string) =>
  or(
    contains(users.email, text.toLowerCase()),
    contains(users.username, text.toLowerCase()),
    contains(users.firstName, text),
    contains(users.lastName, text),
  )!;

export function listUsers(
  ctx: AppContext,
  q: PageQuery & { role?: Role; q?: string; is_banned?: "true" | "false" },
) {
  const conds: SQL[] = [];
  if (q.role) conds.push(eq(users.role, q.role));
  if (q.is_banned) conds.push(eq(users.isBanned, q.is_banned === "true"));
  if (q.q) {
    conds.push(userMatches(q.q));
  }
  const where = conds.length ? and(...conds) : undefined;
  const { total, rows } = pageOf(ctx.db, users, where, q, desc(users.id));
  const risks = clientRisksOf(
    ctx.db,
    rows.map((u) => u.id),
  );
  return { total, results: rows.map((u) => serializeAdminUser(u, risks.get(u.id) ?? NO_RISK)) };
}

/** One user as staff see it (404 when there is none). */
export function adminUser(ctx: AppContext, id: number) {
  const u = ctx.db.select().from(users).where(eq(users.id, id)).get();
  if (!u) throw notFound("user");
  return serializeAdminUser(u, clientRiskOf(ctx.db, id));
}

/** Compact list of every user for pickers (seed 001 /admin/users/all). */
export function allUsers(ctx: AppContext) {
  return ctx.db
    .select({
      id: users.id,
      username: users.username,
      email: users.email,
      role: users.role,
      is_banned: users.isBanned,
    })
    .from(users)
    .orderBy(users.id)
    .limit(10_000)
    .all();
}

/** Shared shape of the admin user mutations: load, guard, change, audit, event — one transaction. */
function adminChange(
  ctx: AppContext,
  actor: AdminActor,
  targetId: number,
  action: string,
  change: (target: typeof users.$inferSelect) => Partial<typeof users.$inferSelect>,
  details: Record<string, unknown>,
  after?: (tx: Tx, user: typeof users.$inferSelect) => void,
) {
  const now = ctx.clock.now();
  return ctx.db.transaction(
    (tx) => {
      const target = tx.select().from(users).where(eq(users.id, targetId)).get();
      if (!target) throw notFound("user");
      if (target.id === actor.id) throw conflict("you cannot change your own account this way");
      assertWithin(actor, target.role, target.grantedPermissions);
      const updated = tx
        .update(users)
        .set({ ...change(target), updatedAt: now })
        .where(eq(users.id, targetId))
        .returning()
        .get()!;
      audit(tx, now, {
        actorId: actor.id,
        action,
        targetType: "user",
        targetId,
        details,
        ip: actor.ip,
        requestId: actor.requestId,
      });
      emit(tx, now, {
        type: action,
        actorId: actor.id,
        subjectType: "user",
        subjectId: targetId,
        payload: details,
      });
      after?.(tx, updated);
      // Read after the event: a ban refreshes the risk in this transaction.
      return serializeAdminUser(updated, clientRiskOf(tx, targetId));
    },
    { behavior: "immediate" },
  );
}

export const banUser = (ctx: AppContext, actor: AdminActor, id: number, reason?: string) =>
  adminChange(
    ctx,
    actor,
    id,
    "user.banned",
    () => ({ isBanned: true, banReason: reason ?? null, bannedAt: ctx.clock.now() }),
    { reason: reason ?? null },
    (tx, u) => revokeAllSessions(tx, u.id, ctx.clock.now()),
  );

export const unbanUser = (ctx: AppContext, actor: AdminActor, id: number) =>
  adminChange(
    ctx,
    actor,
    id,
    "user.unbanned",
    () => ({ isBanned: false, banReason: null, bannedAt: null }),
    {},
    (tx, u) =>
      notify(ctx, tx, {
        userId: u.id,
        type: "system",
        title: "Account restored",
        message: "Your account was unbanned.",
      }),
  );

export const setRole = (ctx: AppContext, actor: AdminActor, id: number, role: Role, granted?: string[]) =>
  adminChange(
    ctx,
    actor,
    id,
    "user.role_changed",
    (t) => {
      assertWithin(actor, role, granted ?? t.grantedPermissions);
      return { role, grantedPermissions: granted ?? t.grantedPermissions };
    },
    { role, granted_permissions: granted ?? null },
    // Made an expert by hand rather than through an application: give them the profile that
    // approval would have created, or they could never take an order.
    (tx, u) => {
      if (u.role === "expert") ensureExpertProfile(tx, ctx.clock.now(), u.id);
    },
  );

/** A user's permissions as staff manage them: the role's defaults and the grants on top. */
export function userPermissions(ctx: AppContext, id: number) {
  const u = ctx.db
    .select({ id: users.id, role: users.role, granted: users.grantedPermissions })
    .from(users)
    .where(eq(users.id, id))
    .get();
  if (!u) throw notFound("user");
  return permissionsView(u.id, u.role, u.granted);
}

const permissionsView = (id: number, role: Role, granted: readonly string[]) => ({
  user_id: id,
  role,
  role_permissions: [...ROLE_PERMISSIONS[role]],
  granted_permissions: [...granted],
});

/**
 * Replaces a user's granted permissions. The actor must already hold the target's powers and
 * every new grant (a support user cannot hand out `users:*` or edit an admin); never their own.
 * Audited with before and after; an event only when the set changed.
 */
export function setGrantedPermissions(ctx: AppContext, actor: AdminActor, id: number, granted: string[]) {
  const after = [...new Set(granted)];
  const now = ctx.clock.now();
  return ctx.db.transaction(
    (tx) => {
      const target = tx.select().from(users).where(eq(users.id, id)).get();
      if (!target) throw notFound("user");
      if (target.id === actor.id) throw conflict("you cannot change your own permissions");
      assertWithin(actor, target.role, target.grantedPermissions);
      assertWithin(actor, target.role, after);
      const before = target.grantedPermissions;
      const changed = before.length !== after.length || before.some((p, i) => p !== after[i]);
      if (changed) {
        tx.update(users).set({ grantedPermissions: after, updatedAt: now }).where(eq(users.id, id)).run();
      }
      recordAdminAction(tx, now, actor, {
        action: "user.permissions_changed",
        targetType: "user",
        targetId: id,
        details: { role: target.role, before, after },
        changed,
      });
      return permissionsView(id, target.role, after);
    },
    { behavior: "immediate" },
  );
}
