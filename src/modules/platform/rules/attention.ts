import { and, asc, desc, eq, type SQL } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { attentionItems, subjectTags, users } from "../../../db/schema";
import { write } from "../../../db/write";
import { conflict, notFound } from "../../../lib/errors";
import { type PageQuery, pageOf } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { type ActionActor, recordAdminAction } from "../audit";

type AttentionRow = typeof attentionItems.$inferSelect;

const serializeAttention = (a: AttentionRow) => ({
  id: a.id,
  reason: a.reason,
  status: a.status,
  rule_id: a.ruleId,
  event_id: a.eventId,
  subject_type: a.subjectType,
  subject_id: a.subjectId,
  resolved_by: a.resolvedBy,
  resolved_at: isoOrNull(a.resolvedAt),
  note: a.note,
  created_at: iso(a.createdAt),
});

const serializeTag = (t: typeof subjectTags.$inferSelect) => ({
  id: t.id,
  kind: t.kind,
  subject_type: t.subjectType,
  subject_id: t.subjectId,
  tag: t.tag,
  rule_id: t.ruleId,
  event_id: t.eventId,
  created_at: iso(t.createdAt),
});

/** Attention items, newest first; `status=open` is the admins' queue. */
export function listAttention(ctx: AppContext, q: PageQuery & { status?: "open" | "resolved" }) {
  const where = q.status ? eq(attentionItems.status, q.status) : undefined;
  const { total, rows } = pageOf(ctx.db, attentionItems, where, q, desc(attentionItems.id));
  return { total, results: rows.map(serializeAttention) };
}

/** Resolves an open item (409 when it already is), audited. */
export function resolveAttention(ctx: AppContext, actor: ActionActor, id: number, note?: string) {
  return write(ctx, (tx, now) => {
    const item = tx.select().from(attentionItems).where(eq(attentionItems.id, id)).get();
    if (!item) throw notFound("attention item");
    if (item.status === "resolved")
      throw conflict("the item is already resolved", { resolved_at: isoOrNull(item.resolvedAt) });
    const row = tx
      .update(attentionItems)
      .set({ status: "resolved", resolvedBy: actor.id, resolvedAt: now, note: note ?? null })
      .where(and(eq(attentionItems.id, id), eq(attentionItems.status, "open")))
      .returning()
      .get();
    recordAdminAction(tx, now, actor, {
      action: "attention.resolved",
      targetType: "attention",
      targetId: id,
      details: { reason: item.reason, note: note ?? null, rule_id: item.ruleId },
      changed: true,
    });
    return serializeAttention(row);
  });
}

/** Tags and flags rules put on subjects, filtered; oldest first (the order they were given). */
export function listTags(
  ctx: AppContext,
  q: PageQuery & { subject_type?: string; subject_id?: string; kind?: "tag" | "flag"; tag?: string },
) {
  const where = and(
    q.subject_type ? eq(subjectTags.subjectType, q.subject_type) : undefined,
    q.subject_id ? eq(subjectTags.subjectId, q.subject_id) : undefined,
    q.kind ? eq(subjectTags.kind, q.kind) : undefined,
    q.tag ? eq(subjectTags.tag, q.tag) : undefined,
  ) as SQL | undefined;
  const { total, rows } = pageOf(ctx.db, subjectTags, where, q, asc(subjectTags.id));
  return { total, results: rows.map(serializeTag) };
}

/** The flags rules put on a user (404 for an unknown user). */
export function userFlags(ctx: AppContext, userId: number) {
  if (!ctx.db.select({ id: users.id }).from(users).where(eq(users.id, userId)).get()) throw notFound("user");
  const rows = ctx.db
    .select()
    .from(subjectTags)
    .where(
      and(
        eq(subjectTags.kind, "flag"),
        eq(subjectTags.subjectType, "user"),
        eq(subjectTags.subjectId, String(userId)),
      ),
    )
    .orderBy(asc(subjectTags.id))
    .all();
  return { results: rows.map(serializeTag) };
}

/** Takes a tag or a user flag off its subject (a rule may give it again on a later event), audited. */
export function removeTag(ctx: AppContext, actor: ActionActor, id: number) {
  return write(ctx, (tx, now) => {
    const tag = tx.select().from(subjectTags).where(eq(subjectTags.id, id)).get();
    if (!tag) throw notFound("tag");
    tx.delete(subjectTags).where(eq(subjectTags.id, id)).run();
    recordAdminAction(tx, now, actor, {
      action: "tag.removed",
      targetType: "tag",
      targetId: id,
      details: serializeTag(tag),
      changed: true,
    });
  });
}
