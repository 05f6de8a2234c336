import { and, asc, count, desc, eq, gte, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { AppContext } from "../../../context";
import type { Queryable, Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import {
  expertApplications,
  expertDocuments,
  expertProfiles,
  expertSpecializations,
  expertStats,
  files,
  reviews,
  subjects,
  users,
} from "../../../db/schema";
import { write } from "../../../db/write";
import { can } from "../../../http/auth";
import type { Principal } from "../../../http/types";
import { ApiError, conflict, notFound } from "../../../lib/errors";
import { insertFile, serializeFile, storeUpload, type Upload } from "../../../lib/files";
import { offset, type PageQuery } from "../../../lib/pagination";
import { iso, isoOrNull } from "../../../lib/time";
import { type AdminActor, userMatches } from "../../accounts/admin";
import { recordAdminAction } from "../../platform/audit";
import { emit } from "../../platform/events/service";
import { notify } from "../../platform/notifications/service";
import { masterScoreOf } from "../../scoring/read";
import { findActiveCatalogEntry } from "../catalog/service";
import { MP } from "../permissions";
import type { ApplicationInput, ExpertOrdering } from "./schemas";

/** The user a self-service verb acts for. */
export type Actor = { id: number };

type ApplicationRow = typeof expertApplications.$inferSelect;
type DocumentRow = typeof expertDocuments.$inferSelect;
type FileRow = typeof files.$inferSelect;
type SpecializationRow = typeof expertSpecializations.$inferSelect;

const userRefCols = {
  id: users.id,
  username: users.username,
  email: users.email,
  first_name: users.firstName,
  last_name: users.lastName,
  role: users.role,
};

const where = (conds: SQL[]) => (conds.length ? and(...conds) : undefined);
const boolFilter = (v: "true" | "false" | undefined) => (v === undefined ? undefined : v === "true");

/**
 * The one rule of an active expert, over `users u` joined to `expert_profiles p`: role expert, not
 * banned, profile not suspended. Taking an order, the available-orders list and new-order notices
 * all use it, so an expert is never shown an order they would be refused.
 */
export const ACTIVE_EXPERT_SQL = "u.role = 'expert' AND u.is_banned = 0 AND p.is_active = 1";
const ACTIVE_EXPERT_BY_ID = `SELECT 1 AS one FROM users u JOIN expert_profiles p ON p.user_id = u.id
  WHERE u.id = ? AND ${ACTIVE_EXPERT_SQL}`;

// Asked on every take: prepared once per connection.
const activeExpert = preparedPer((db) => prepare<{ one: number }, [number]>(db, ACTIVE_EXPERT_BY_ID));

export const isActiveExpert = (db: Queryable, userId: number): boolean => !!activeExpert(db).get(userId);

/** The same rule as a condition for a Drizzle query about `userId`. */
export const activeExpertExists = (userId: number) =>
  sql`EXISTS (SELECT 1 FROM users u JOIN expert_profiles p ON p.user_id = u.id WHERE u.id = ${userId} AND ${sql.raw(ACTIVE_EXPERT_SQL)})`;

// ---------- applications ----------

export const serializeApplication = (a: ApplicationRow) => ({
  id: a.id,
  user_id: a.userId,
  status: a.status,
  bio: a.bio,
  experience_years: a.experienceYears,
  education: a.education,
  skills: a.skills,
  reject_reason: a.rejectReason,
  reviewed_by: a.reviewedBy,
  reviewed_at: isoOrNull(a.reviewedAt),
  created_at: iso(a.createdAt),
  updated_at: iso(a.updatedAt),
});

/** A client asks to become an expert: one pending application at a time, none once an expert. */
export const submitApplication = (ctx: AppContext, actor: Actor, b: ApplicationInput) =>
  write(ctx, (tx, now) => {
    const user = tx.select({ role: users.role }).from(users).where(eq(users.id, actor.id)).get();
    if (!user) throw notFound("user");
    if (user.role === "expert") throw conflict("you already are an expert");
    const pending = tx
      .select({ id: expertApplications.id })
      .from(expertApplications)
      .where(and(eq(expertApplications.userId, actor.id), eq(expertApplications.status, "pending")))
      .get();
    if (pending) throw conflict("an application of yours is under review", { application_id: pending.id });
    const row = tx
      .insert(expertApplications)
      .values({
        userId: actor.id,
        bio: b.bio ?? null,
        experienceYears: b.experience_years ?? null,
        education: b.education ?? null,
        skills: b.skills ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "expert_application.submitted",
      actorId: actor.id,
      subjectType: "expert_application",
      subjectId: row.id,
      payload: { user_id: actor.id },
    });
    return serializeApplication(row);
  });

/** The caller's applications, newest first. */
export function listMyApplications(ctx: AppContext, actor: Actor) {
  return ctx.db
    .select()
    .from(expertApplications)
    .where(eq(expertApplications.userId, actor.id))
    .orderBy(desc(expertApplications.id))
    .all()
    .map(serializeApplication);
}

export function listApplicationsAdmin(ctx: AppContext, q: PageQuery & { status?: ApplicationRow["status"] }) {
  const w = where(q.status ? [eq(expertApplications.status, q.status)] : []);
  const total = ctx.db.select({ n: count() }).from(expertApplications).where(w).get()!.n;
  const rows = ctx.db
    .select({ a: expertApplications, user: userRefCols })
    .from(expertApplications)
    .innerJoin(users, eq(users.id, expertApplications.userId))
    .where(w)
    .orderBy(desc(expertApplications.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return { total, results: rows.map((r) => ({ ...serializeApplication(r.a), user: r.user })) };
}

function decide(
  ctx: AppContext,
  actor: AdminActor,
  id: number,
  to: "approved" | "rejected",
  rejectReason: string | null,
  apply: (tx: Tx, now: number, a: ApplicationRow) => Record<string, unknown>,
) {
  return write(ctx, (tx, now) => {
    const a = tx.select().from(expertApplications).where(eq(expertApplications.id, id)).get();
    if (!a) throw notFound("application");
    if (a.status !== "pending") {
      throw new ApiError("invalid_transition", `the application is already ${a.status}`, {
        from: a.status,
        to,
      });
    }
    const details = apply(tx, now, a);
    const row = tx
      .update(expertApplications)
      .set({
        status: to,
        reviewedBy: actor.id,
        reviewedAt: now,
        rejectReason,
        updatedAt: now,
      })
      .where(eq(expertApplications.id, id))
      .returning()
      .get()!;
    recordAdminAction(tx, now, actor, {
      action: `expert_application.${to}`,
      targetType: "expert_application",
      targetId: id,
      details: { user_id: a.userId, ...details },
      changed: true,
    });
    return serializeApplication(row);
  });
}

/**
 * Approves a pending application: a client becomes an `expert` (other roles keep theirs), the
 * profile fields given in the application are copied into the user, and the expert profile row is
 * created (or re-activated).
 */
export const approveApplication = (ctx: AppContext, actor: AdminActor, id: number) =>
  decide(ctx, actor, id, "approved", null, (tx, now, a) => {
    const user = tx.select().from(users).where(eq(users.id, a.userId)).get()!;
    const becomesExpert = user.role === "client";
    tx.update(users)
      .set({
        ...(becomesExpert && { role: "expert" as const }),
        ...(a.bio != null && { bio: a.bio }),
        ...(a.experienceYears != null && { experienceYears: a.experienceYears }),
        ...(a.education != null && { education: a.education }),
        ...(a.skills != null && { skills: a.skills }),
        updatedAt: now,
      })
      .where(eq(users.id, a.userId))
      .run();
    upsertProfile(tx, now, a.userId, true, null);
    notify(ctx, tx, {
      userId: a.userId,
      type: "application_approved",
      title: "Expert application approved",
      message: "Your application was approved: add your specializations to start taking orders.",
      data: { application_id: a.id },
    });
    return { role_from: user.role, role_to: becomesExpert ? "expert" : user.role };
  });

export const rejectApplication = (ctx: AppContext, actor: AdminActor, id: number, reason?: string) =>
  decide(ctx, actor, id, "rejected", reason ?? null, (tx, _now, a) => {
    notify(ctx, tx, {
      userId: a.userId,
      type: "application_rejected",
      title: "Expert application rejected",
      message: reason ? `Your application was rejected: ${reason}` : "Your application was rejected.",
      data: { application_id: a.id, reason: reason ?? null },
    });
    return { reason: reason ?? null };
  });

// ---------- documents ----------

export const serializeDocument = (d: DocumentRow, f: FileRow) => ({
  id: d.id,
  user_id: d.userId,
  title: d.title,
  is_verified: d.isVerified,
  verified_by: d.verifiedBy,
  verified_at: isoOrNull(d.verifiedAt),
  file: serializeFile(f),
  created_at: iso(d.createdAt),
});

/** Stores the bytes, then the file and document rows in one transaction (bytes removed if it fails). */
export const uploadDocument = (ctx: AppContext, actor: Actor, upload: Upload, title: string) =>
  storeUpload(ctx, upload, (w) =>
    write(ctx, (tx, now) => {
      const f = insertFile(tx, now, { ownerId: actor.id, purpose: "expert_document", upload, ...w });
      const d = tx
        .insert(expertDocuments)
        .values({ userId: actor.id, fileId: f.id, title, createdAt: now })
        .returning()
        .get();
      emit(tx, now, {
        type: "expert_document.uploaded",
        actorId: actor.id,
        subjectType: "expert_document",
        subjectId: d.id,
        payload: { title, file_id: f.id, content_type: f.contentType, size: f.size },
      });
      return serializeDocument(d, f);
    }),
  );

export function listMyDocuments(ctx: AppContext, actor: Actor) {
  return ctx.db
    .select({ d: expertDocuments, f: files })
    .from(expertDocuments)
    .innerJoin(files, eq(files.id, expertDocuments.fileId))
    .where(eq(expertDocuments.userId, actor.id))
    .orderBy(desc(expertDocuments.id))
    .all()
    .map((r) => serializeDocument(r.d, r.f));
}

/** The stored file of a document: its owner and staff holding experts:read see it; anyone else gets 404. */
export function documentFile(ctx: AppContext, p: Principal, id: number): FileRow {
  const r = ctx.db
    .select({ d: expertDocuments, f: files })
    .from(expertDocuments)
    .innerJoin(files, eq(files.id, expertDocuments.fileId))
    .where(eq(expertDocuments.id, id))
    .get();
  if (!r || (r.d.userId !== p.user.id && !can(p, MP.expertsRead))) throw notFound("document");
  return r.f;
}

export function listDocumentsAdmin(ctx: AppContext, q: PageQuery & { verified?: "true" | "false" }) {
  const v = boolFilter(q.verified);
  const w = where(v === undefined ? [] : [eq(expertDocuments.isVerified, v)]);
  const total = ctx.db.select({ n: count() }).from(expertDocuments).where(w).get()!.n;
  const rows = ctx.db
    .select({ d: expertDocuments, f: files, user: userRefCols })
    .from(expertDocuments)
    .innerJoin(files, eq(files.id, expertDocuments.fileId))
    .innerJoin(users, eq(users.id, expertDocuments.userId))
    .where(w)
    .orderBy(desc(expertDocuments.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return { total, results: rows.map((r) => ({ ...serializeDocument(r.d, r.f), user: r.user })) };
}

/** Marks a document verified and tells its owner; verifying a verified one changes nothing (200, audited). */
export const verifyDocument = (ctx: AppContext, actor: AdminActor, id: number) =>
  write(ctx, (tx, now) => {
    const r = tx
      .select({ d: expertDocuments, f: files })
      .from(expertDocuments)
      .innerJoin(files, eq(files.id, expertDocuments.fileId))
      .where(eq(expertDocuments.id, id))
      .get();
    if (!r) throw notFound("document");
    let d = r.d;
    if (!d.isVerified) {
      d = tx
        .update(expertDocuments)
        .set({ isVerified: true, verifiedBy: actor.id, verifiedAt: now })
        .where(eq(expertDocuments.id, id))
        .returning()
        .get()!;
      notify(ctx, tx, {
        userId: d.userId,
        type: "document_verified",
        title: "Document verified",
        message: `Your document "${d.title}" was verified.`,
        data: { document_id: d.id },
      });
    }
    recordAdminAction(tx, now, actor, {
      action: "expert_document.verified",
      targetType: "expert_document",
      targetId: id,
      details: { user_id: d.userId, title: d.title, was_verified: r.d.isVerified },
      changed: !r.d.isVerified,
    });
    return serializeDocument(d, r.f);
  });

// ---------- specializations ----------

export const serializeSpecialization = (s: SpecializationRow, subjectName: string) => ({
  id: s.id,
  user_id: s.userId,
  subject_id: s.subjectId,
  subject_name: subjectName,
  is_verified: s.isVerified,
  verified_by: s.verifiedBy,
  verified_at: isoOrNull(s.verifiedAt),
  created_at: iso(s.createdAt),
});

/** Claims a subject (unverified until staff verify it). The subject must exist and be active (else 404). */
export const addSpecialization = (ctx: AppContext, actor: Actor, subjectId: number) =>
  write(ctx, (tx, now) => {
    const subject = findActiveCatalogEntry(tx, "subjects", subjectId);
    if (!subject) throw notFound("subject");
    const dup = tx
      .select({ id: expertSpecializations.id })
      .from(expertSpecializations)
      .where(and(eq(expertSpecializations.userId, actor.id), eq(expertSpecializations.subjectId, subjectId)))
      .get();
    if (dup) throw conflict("you already have this specialization", { specialization_id: dup.id });
    const row = tx
      .insert(expertSpecializations)
      .values({ userId: actor.id, subjectId, createdAt: now })
      .returning()
      .get();
    emit(tx, now, {
      type: "expert_specialization.added",
      actorId: actor.id,
      subjectType: "expert_specialization",
      subjectId: row.id,
      payload: { subject_id: subjectId },
    });
    return serializeSpecialization(row, subject.name);
  });

export function listMySpecializations(ctx: AppContext, actor: Actor) {
  return ctx.db
    .select({ s: expertSpecializations, name: subjects.name })
    .from(expertSpecializations)
    .innerJoin(subjects, eq(subjects.id, expertSpecializations.subjectId))
    .where(eq(expertSpecializations.userId, actor.id))
    .orderBy(subjects.name, expertSpecializations.id)
    .all()
    .map((r) => serializeSpecialization(r.s, r.name));
}

/** Drops one of the caller's specializations (verified ones too); someone else's is 404. */
export const removeSpecialization = (ctx: AppContext, actor: Actor, id: number) =>
  write(ctx, (tx, now) => {
    const s = tx
      .select()
      .from(expertSpecializations)
      .where(and(eq(expertSpecializations.id, id), eq(expertSpecializations.userId, actor.id)))
      .get();
    if (!s) throw notFound("specialization");
    tx.delete(expertSpecializations).where(eq(expertSpecializations.id, id)).run();
    emit(tx, now, {
      type: "expert_specialization.removed",
      actorId: actor.id,
      subjectType: "expert_specialization",
      subjectId: id,
      payload: { subject_id: s.subjectId, was_verified: s.isVerified },
    });
  });

export function listSpecializationsAdmin(ctx: AppContext, q: PageQuery & { verified?: "true" | "false" }) {
  const v = boolFilter(q.verified);
  const w = where(v === undefined ? [] : [eq(expertSpecializations.isVerified, v)]);
  const total = ctx.db.select({ n: count() }).from(expertSpecializations).where(w).get()!.n;
  const rows = ctx.db
    .select({ s: expertSpecializations, name: subjects.name, user: userRefCols })
    .from(expertSpecializations)
    .innerJoin(subjects, eq(subjects.id, expertSpecializations.subjectId))
    .innerJoin(users, eq(users.id, expertSpecializations.userId))
    .where(w)
    .orderBy(desc(expertSpecializations.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return { total, results: rows.map((r) => ({ ...serializeSpecialization(r.s, r.name), user: r.user })) };
}

/** Marks a specialization verified and tells the expert; verifying a verified one changes nothing. */
export const verifySpecialization = (ctx: AppContext, actor: AdminActor, id: number) =>
  write(ctx, (tx, now) => {
    const r = tx
      .select({ s: expertSpecializations, name: subjects.name })
      .from(expertSpecializations)
      .innerJoin(subjects, eq(subjects.id, expertSpecializations.subjectId))
      .where(eq(expertSpecializations.id, id))
      .get();
    if (!r) throw notFound("specialization");
    let s = r.s;
    if (!s.isVerified) {
      s = tx
        .update(expertSpecializations)
        .set({ isVerified: true, verifiedBy: actor.id, verifiedAt: now })
        .where(eq(expertSpecializations.id, id))
        .returning()
        .get()!;
      notify(ctx, tx, {
        userId: s.userId,
        type: "specialization_verified",
        title: "Specialization verified",
        message: `Your specialization "${r.name}" was verified: you can take its orders now.`,
        data: { specialization_id: s.id, subject_id: s.subjectId },
      });
    }
    recordAdminAction(tx, now, actor, {
      action: "expert_specialization.verified",
      targetType: "expert_specialization",
      targetId: id,
      details: { user_id: s.userId, subject_id: s.subjectId, was_verified: r.s.isVerified },
      changed: !r.s.isVerified,
    });
    return serializeSpecialization(s, r.name);
  });

// ---------- admin experts (seed 001 masters) ----------

function upsertProfile(tx: Tx, now: number, userId: number, isActive: boolean, reason: string | null) {
  tx.insert(expertProfiles)
    .values({ userId, isActive, suspendedReason: reason, approvedAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: expertProfiles.userId,
      set: { isActive, suspendedReason: reason, updatedAt: now },
    })
    .run();
}

/** An active profile for a user who just became an expert (kept as it is when one exists). */
export function ensureExpertProfile(tx: Tx, now: number, userId: number) {
  tx.insert(expertProfiles)
    .values({ userId, isActive: true, approvedAt: now, updatedAt: now })
    .onConflictDoNothing()
    .run();
}

const es = expertStats;
/**
 * Sort orders of the staff list. Scores come from the stored expert_stats row (joined by primary
 * key); experts without one (never computed) sort last. Newest first breaks ties.
 */
const EXPERT_ORDER: Record<ExpertOrdering, SQL[]> = {
  "-created_at": [desc(users.id)],
  created_at: [asc(users.id)],
  "-master_score": [sql`${es.masterScore} DESC NULLS LAST`, desc(users.id)],
  master_score: [sql`${es.masterScore} ASC NULLS LAST`, desc(users.id)],
  "-rating": [
    sql`CASE WHEN ${es.reviewsCount} > 0 THEN ${es.ratingSum} * 1.0 / ${es.reviewsCount} END DESC NULLS LAST`,
    sql`coalesce(${es.reviewsCount}, 0) DESC`,
    desc(users.id),
  ],
};

/**
 * One page of experts with their profile and stored score, and the specialization and rating
 * aggregates computed by two grouped queries over the page's ids (no query per row).
 */
function expertPage(
  db: Queryable,
  w: SQL | undefined,
  limit: number,
  skip: number,
  ordering: ExpertOrdering = "-created_at",
) {
  const rows = db
    .select({ u: users, p: expertProfiles, s: expertStats })
    .from(users)
    .leftJoin(expertProfiles, eq(expertProfiles.userId, users.id))
    .leftJoin(expertStats, eq(expertStats.userId, users.id))
    .where(w)
    .orderBy(...EXPERT_ORDER[ordering])
    .limit(limit)
    .offset(skip)
    .all();
  const ids = rows.map((r) => r.u.id);
  const specs = new Map<number, { total: number; verified: number }>();
  const ratings = new Map<number, { avg: number; n: number }>();
  if (ids.length) {
    for (const s of db
      .select({
        userId: expertSpecializations.userId,
        total: count(),
        verified: sql<number>`coalesce(sum(${expertSpecializations.isVerified}), 0)`.mapWith(Number),
      })
      .from(expertSpecializations)
      .where(inArray(expertSpecializations.userId, ids))
      .groupBy(expertSpecializations.userId)
      .all()) {
      specs.set(s.userId, { total: s.total, verified: s.verified });
    }
    for (const r of db
      .select({
        targetId: reviews.targetId,
        avg: sql<number>`avg(${reviews.rating})`.mapWith(Number),
        n: count(),
      })
      .from(reviews)
      .where(
        and(
          inArray(reviews.targetId, ids),
          eq(reviews.direction, "client_to_expert"),
          eq(reviews.isPublished, true),
        ),
      )
      .groupBy(reviews.targetId)
      .all()) {
      ratings.set(r.targetId, { avg: r.avg, n: r.n });
    }
  }
  return rows.map(({ u, p, s: score }) => {
    const s = specs.get(u.id);
    const r = ratings.get(u.id);
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      first_name: u.firstName,
      last_name: u.lastName,
      is_banned: u.isBanned,
      has_profile: p !== null,
      is_active: p?.isActive ?? false,
      suspended_reason: p?.suspendedReason ?? null,
      approved_at: isoOrNull(p?.approvedAt),
      specializations: s?.total ?? 0,
      verified_specializations: s?.verified ?? 0,
      average_rating: r ? Math.round(r.avg * 100) / 100 : null,
      reviews_count: r?.n ?? 0,
      created_at: iso(u.createdAt),
      ...masterScoreOf(
        score && {
          master_score: score.masterScore,
          rating_score: score.ratingScore,
          success_score: score.successScore,
          timeliness_score: score.timelinessScore,
          response_score: score.responseScore,
          updated_at: score.updatedAt,
        },
      ),
    };
  });
}

export function listExpertsAdmin(
  ctx: AppContext,
  q: PageQuery & { is_active?: "true" | "false"; q?: string; ordering?: ExpertOrdering; min_score?: number },
) {
  const conds: SQL[] = [eq(users.role, "expert")];
  const active = boolFilter(q.is_active);
  if (active === true) conds.push(eq(expertProfiles.isActive, true));
  if (active === false) conds.push(or(isNull(expertProfiles.userId), eq(expertProfiles.isActive, false))!);
  if (q.q) {
    conds.push(userMatches(q.q));
  }
  // Experts whose score was never computed have none to compare: min_score leaves them out.
  if (q.min_score !== undefined) conds.push(gte(expertStats.masterScore, q.min_score));
  const w = and(...conds);
  const total = ctx.db
    .select({ n: count() })
    .from(users)
    .leftJoin(expertProfiles, eq(expertProfiles.userId, users.id))
    .leftJoin(expertStats, eq(expertStats.userId, users.id))
    .where(w)
    .get()!.n;
  return { total, results: expertPage(ctx.db, w, q.page_size, offset(q), q.ordering) };
}

/**
 * Suspends or re-activates an expert (a user with role `expert`, else 404). An expert without a
 * profile row (made one by a role change) gets it here. A call that changes nothing is audited,
 * without event or notification.
 */
function setExpertActive(
  ctx: AppContext,
  actor: AdminActor,
  userId: number,
  active: boolean,
  reason?: string,
) {
  write(ctx, (tx, now) => {
    const u = tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.id, userId), eq(users.role, "expert")))
      .get();
    if (!u) throw notFound("expert");
    const before = tx.select().from(expertProfiles).where(eq(expertProfiles.userId, userId)).get();
    const changed = !before || before.isActive !== active;
    if (changed) {
      upsertProfile(tx, now, userId, active, active ? null : (reason ?? null));
      notify(ctx, tx, {
        userId,
        type: "system",
        title: active ? "Expert account activated" : "Expert account suspended",
        message: active
          ? "Your expert account is active again: you can take orders."
          : reason
            ? `Your expert account was suspended: ${reason}`
            : "Your expert account was suspended.",
        data: { reason: reason ?? null },
      });
    }
    recordAdminAction(tx, now, actor, {
      action: active ? "expert.activated" : "expert.suspended",
      targetType: "user",
      targetId: userId,
      details: { reason: reason ?? null, was_active: before?.isActive ?? false },
      changed,
    });
  });
  return expertPage(ctx.db, eq(users.id, userId), 1, 0)[0]!;
}

export const activateExpert = (ctx: AppContext, actor: AdminActor, userId: number, reason?: string) =>
  setExpertActive(ctx, actor, userId, true, reason);

export const suspendExpert = (ctx: AppContext, actor: AdminActor, userId: number, reason?: string) =>
  setExpertActive(ctx, actor, userId, false, reason);

// ---------- demo data ----------

/** For `seed --demo`: an expert profile and a verified specialization, added when missing. */
export function ensureVerifiedExpert(tx: Tx, now: number, userId: number, subjectIds: number[]) {
  tx.insert(expertProfiles).values({ userId, approvedAt: now, updatedAt: now }).onConflictDoNothing().run();
  let added = 0;
  for (const subjectId of subjectIds) {
    const row = tx
      .insert(expertSpecializations)
      .values({ userId, subjectId, isVerified: true, verifiedAt: now, createdAt: now })
      .onConflictDoNothing()
      .returning({ id: expertSpecializations.id })
      .get();
    if (!row) continue;
    added++;
    emit(tx, now, {
      type: "expert_specialization.verified",
      subjectType: "expert_specialization",
      subjectId: row.id,
      payload: { user_id: userId, subject_id: subjectId, seed: true },
    });
  }
  return added;
}
