import { and, desc, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../../context";
import { apiKeys } from "../../db/schema";
import { can } from "../../http/auth";
import type { Principal } from "../../http/types";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { forbidden, notFound } from "../../lib/errors";
import { iso, isoOrNull } from "../../lib/time";
import { emit } from "../platform/events/service";

type KeyRow = typeof apiKeys.$inferSelect;

export const serializeKey = (k: KeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  last_used_at: isoOrNull(k.lastUsedAt),
  revoked_at: isoOrNull(k.revokedAt),
  created_at: iso(k.createdAt),
});

/** A key never exceeds its creator: every scope must be covered by the caller (and the caller's key). */
export function createApiKey(ctx: AppContext, p: Principal, input: { name: string; scopes: string[] }) {
  const missing = input.scopes.filter((s) => !can(p, s));
  if (missing.length) throw forbidden(`scopes exceed your permissions: ${missing.join(", ")}`);
  const key = `sk_${randomToken(32)}`;
  const now = ctx.clock.now();
  const row = ctx.db.transaction(
    (tx) => {
      const row = tx
        .insert(apiKeys)
        .values({
          userId: p.user.id,
          name: input.name,
          prefix: key.slice(0, 10),
          keyHash: sha256Hex(key),
          scopes: [...new Set(input.scopes)],
          createdAt: now,
        })
        .returning()
        .get();
      emit(tx, now, {
        type: "api_key.created",
        actorId: p.user.id,
        subjectType: "api_key",
        subjectId: row.id,
        payload: { scopes: row.scopes },
      });
      return row;
    },
    { behavior: "immediate" },
  );
  return { ...serializeKey(row), key };
}

export function listApiKeys(ctx: AppContext, userId: number) {
  return ctx.db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.userId, userId))
    .orderBy(desc(apiKeys.id))
    .all()
    .map(serializeKey);
}

export function revokeApiKey(ctx: AppContext, userId: number, id: number) {
  const now = ctx.clock.now();
  ctx.db.transaction(
    (tx) => {
      const row = tx
        .update(apiKeys)
        .set({ revokedAt: now })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id })
        .get();
      if (!row) throw notFound("api key");
      emit(tx, now, { type: "api_key.revoked", actorId: userId, subjectType: "api_key", subjectId: id });
    },
    { behavior: "immediate" },
  );
}
