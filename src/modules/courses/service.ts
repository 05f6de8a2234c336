import { and, count, desc, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Queryable, Tx } from "../../db/client";
import { contains } from "../../db/like";
import { type COURSE_STATUSES, courseEnrollments, courses, users } from "../../db/schema";
import { write } from "../../db/write";
import { can } from "../../http/auth";
import type { Principal } from "../../http/types";
import { ApiError, conflict, forbidden, notFound, validation } from "../../lib/errors";
import { offset, type PageQuery } from "../../lib/pagination";
import { iso, isoOrNull } from "../../lib/time";
import { balanceOf, platformRevenue, transfer, userAvailable } from "../ledger/service";
import { findActiveCatalogEntry } from "../marketplace/catalog/service";
import { MP } from "../marketplace/permissions";
import { emit } from "../platform/events/service";
import { notify } from "../platform/notifications/service";
import type { CourseCreate, CoursePatch, RateInput } from "./schemas";

/** Staff permission to see any course (drafts, archived) and any course's learners. Admin has `*`. */

export type CourseRow = typeof courses.$inferSelect;
export type CourseStatus = (typeof COURSE_STATUSES)[number];
export type EnrollmentRow = typeof courseEnrollments.$inferSelect;

// ---------- reading courses with their aggregates ----------

const e = courseEnrollments;
/** Per-course aggregates, computed by the same grouped query that reads the courses. */
const STATS = {
  enrollments: sql<number>`count(${e.id})`.mapWith(Number),
  completed: sql<number>`count(case when ${e.status} = 'completed' then 1 end)`.mapWith(Number),
  ratingCount: sql<number>`count(${e.rating})`.mapWith(Number),
  ratingAvg: sql<number | null>`avg(${e.rating})`,
};

type CourseWithStats = {
  course: CourseRow;
  enrollments: number;
  completed: number;
  ratingCount: number;
  ratingAvg: number | null;
};

const round2 = (x: number) => Math.round(x * 100) / 100;

export function serializeCourse(r: CourseWithStats) {
  const c = r.course;
  return {
    id: c.id,
    expert_id: c.expertId,
    subject_id: c.subjectId,
    title: c.title,
    description: c.description,
    price: c.price,
    currency: c.currency,
    status: c.status,
    published_at: isoOrNull(c.publishedAt),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    enrollments_count: r.enrollments,
    completed_count: r.completed,
    rating: {
      average: r.ratingAvg == null ? null : round2(Number(r.ratingAvg)),
      count: r.ratingCount,
    },
  };
}

/** One grouped query: the matching courses (a page of them) with their aggregates. */
function coursesWithStats(
  db: Queryable,
  where: SQL | undefined,
  order: SQL[],
  q?: PageQuery,
): CourseWithStats[] {
  const base = db
    .select({ course: getTableColumns(courses), ...STATS })
    .from(courses)
    .leftJoin(e, eq(e.courseId, courses.id))
    .where(where)
    .groupBy(courses.id)
    .orderBy(...order);
  return (q ? base.limit(q.page_size).offset(offset(q)) : base).all();
}

function courseWithStats(db: Queryable, id: number) {
  return coursesWithStats(db, eq(courses.id, id), [])[0];
}

const countCourses = (db: Queryable, where: SQL | undefined) =>
  db.select({ n: count() }).from(courses).where(where).get()!.n;

/** The public catalogue: published courses, newest first. */
export function listCourses(
  ctx: AppContext,
  q: PageQuery & { subject_id?: number; expert_id?: number; q?: string },
) {
  const conds: SQL[] = [eq(courses.status, "published")];
  if (q.subject_id !== undefined) conds.push(eq(courses.subjectId, q.subject_id));
  if (q.expert_id !== undefined) conds.push(eq(courses.expertId, q.expert_id));
  if (q.q) conds.push(contains(courses.title, q.q));
  const where = and(...conds);
  const rows = coursesWithStats(ctx.db, where, [desc(courses.publishedAt), desc(courses.id)], q);
  return { total: countCourses(ctx.db, where), results: rows.map(serializeCourse) };
}

/** Published courses to anyone; drafts and archived ones only to their owner and staff; else 404. */
export function getCourse(ctx: AppContext, p: Principal | null, id: number) {
  const r = courseWithStats(ctx.db, id);
  if (!r) throw notFound("course");
  if (
    r.course.status !== "published" &&
    !(p && (p.user.id === r.course.expertId || can(p, MP.coursesReadAny)))
  )
    throw notFound("course");
  return serializeCourse(r);
}

/** The expert's own courses in every status (or one), newest first, with their aggregates. */
export function listMyCourses(ctx: AppContext, expertId: number, q: PageQuery & { status?: CourseStatus }) {
  const conds: SQL[] = [eq(courses.expertId, expertId)];
  if (q.status) conds.push(eq(courses.status, q.status));
  const where = and(...conds);
  const rows = coursesWithStats(ctx.db, where, [desc(courses.createdAt), desc(courses.id)], q);
  return { total: countCourses(ctx.db, where), results: rows.map(serializeCourse) };
}

// ---------- the expert's verbs ----------

const findCourse = (db: Queryable, id: number) => db.select().from(courses).where(eq(courses.id, id)).get();

/** The course when `expertId` owns it; someone else's course is indistinguishable from a missing one. */
function ownCourse(tx: Tx, expertId: number, id: number): CourseRow {
  const c = findCourse(tx, id);
  if (!c || c.expertId !== expertId) throw notFound("course");
  return c;
}

function checkSubject(tx: Tx, subjectId: number | null | undefined) {
  if (subjectId == null) return;
  if (!findActiveCatalogEntry(tx, "subjects", subjectId))
    throw validation("json.subject_id", "no such subject");
}

const enrollmentCount = (db: Queryable, courseId: number) =>
  db.select({ n: count() }).from(e).where(eq(e.courseId, courseId)).get()!.n;

export const createCourse = (ctx: AppContext, expertId: number, b: CourseCreate) =>
  write(ctx, (tx, now) => {
    checkSubject(tx, b.subject_id);
    const row = tx
      .insert(courses)
      .values({
        expertId,
        subjectId: b.subject_id ?? null,
        title: b.title,
        description: b.description ?? null,
        price: b.price,
        currency: b.currency,
        status: "draft",
        createdAt: now,
        updatedAt: now,
      })
      .returning()
      .get();
    emit(tx, now, {
      type: "course.created",
      actorId: expertId,
      subjectType: "course",
      subjectId: row.id,
      payload: { title: row.title, subject_id: row.subjectId, price: row.price, currency: row.currency },
    });
    return serializeCourse({ course: row, enrollments: 0, completed: 0, ratingCount: 0, ratingAvg: null });
  });

export const updateCourse = (ctx: AppContext, expertId: number, id: number, b: CoursePatch) =>
  write(ctx, (tx, now) => {
    const cur = ownCourse(tx, expertId, id);
    const priceChanges =
      (b.price !== undefined && b.price !== cur.price) ||
      (b.currency !== undefined && b.currency !== cur.currency);
    if (priceChanges) {
      const n = enrollmentCount(tx, id);
      if (n > 0)
        throw conflict("price and currency cannot change once someone has enrolled", {
          enrollments_count: n,
        });
    }
    if (b.subject_id !== undefined) checkSubject(tx, b.subject_id);
    tx.update(courses)
      .set({
        ...(b.title !== undefined && { title: b.title }),
        ...(b.description !== undefined && { description: b.description }),
        ...(b.subject_id !== undefined && { subjectId: b.subject_id }),
        ...(b.price !== undefined && { price: b.price }),
        ...(b.currency !== undefined && { currency: b.currency }),
        updatedAt: now,
      })
      .where(eq(courses.id, id))
      .run();
    emit(tx, now, {
      type: "course.updated",
      actorId: expertId,
      subjectType: "course",
      subjectId: id,
      payload: { changes: b },
    });
    return serializeCourse(courseWithStats(tx, id)!);
  });

const TRANSITIONS: Record<"published" | "archived", readonly CourseStatus[]> = {
  published: ["draft"],
  archived: ["draft", "published"],
};

function transition(ctx: AppContext, expertId: number, id: number, to: "published" | "archived") {
  return write(ctx, (tx, now) => {
    const cur = ownCourse(tx, expertId, id);
    if (!TRANSITIONS[to].includes(cur.status)) {
      throw new ApiError("invalid_transition", `a ${cur.status} course cannot become ${to}`, {
        from: cur.status,
        to,
      });
    }
    tx.update(courses)
      .set({ status: to, updatedAt: now, ...(to === "published" && { publishedAt: now }) })
      .where(eq(courses.id, id))
      .run();
    emit(tx, now, {
      type: `course.${to}`,
      actorId: expertId,
      subjectType: "course",
      subjectId: id,
      payload: { from: cur.status, to },
    });
    return serializeCourse(courseWithStats(tx, id)!);
  });
}

/** draft -> published: the course appears in the catalogue and takes enrollments. */
export const publishCourse = (ctx: AppContext, expertId: number, id: number) =>
  transition(ctx, expertId, id, "published");

/** draft | published -> archived: no new enrollments; enrolled learners keep access. */
export const archiveCourse = (ctx: AppContext, expertId: number, id: number) =>
  transition(ctx, expertId, id, "archived");

/** The course's learners with their progress, for its owner or staff holding courses:read_any. */
export function listCourseEnrollments(ctx: AppContext, p: Principal, courseId: number, q: PageQuery) {
  const c = findCourse(ctx.db, courseId);
  if (!c || (c.expertId !== p.user.id && !can(p, MP.coursesReadAny))) throw notFound("course");
  const where = eq(e.courseId, courseId);
  const total = ctx.db.select({ n: count() }).from(e).where(where).get()!.n;
  const rows = ctx.db
    .select({ en: getTableColumns(e), username: users.username })
    .from(e)
    .leftJoin(users, eq(users.id, e.userId))
    .where(where)
    .orderBy(desc(e.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return {
    total,
    results: rows.map(({ en, username }) => ({
      id: en.id,
      user_id: en.userId,
      username,
      status: en.status,
      progress: en.progress,
      price_paid: en.pricePaid,
      completed_at: isoOrNull(en.completedAt),
      rating: en.rating,
      review: en.review,
      created_at: iso(en.createdAt),
      updated_at: iso(en.updatedAt),
    })),
  };
}

// ---------- the learner's verbs ----------

export function serializeEnrollment(en: EnrollmentRow, c: Pick<CourseRow, "title" | "status" | "currency">) {
  return {
    id: en.id,
    course_id: en.courseId,
    course_title: c.title,
    course_status: c.status,
    user_id: en.userId,
    status: en.status,
    progress: en.progress,
    price_paid: en.pricePaid,
    currency: c.currency,
    completed_at: isoOrNull(en.completedAt),
    rating: en.rating,
    review: en.review,
    rated_at: isoOrNull(en.ratedAt),
    created_at: iso(en.createdAt),
    updated_at: iso(en.updatedAt),
  };
}

const findEnrollment = (db: Queryable, courseId: number, userId: number) =>
  db
    .select()
    .from(e)
    .where(and(eq(e.courseId, courseId), eq(e.userId, userId)))
    .get();

/** The platform's share of a course price: round(price * percent / 100), never more than the price. */
export const courseCommission = (price: number, percent: number) =>
  Math.min(price, Math.max(0, Math.round((price * percent) / 100)));

/**
 * Enrolls the user in a published course. A paid course is paid from the learner's available
 * wallet in the same transaction: price minus commission to the expert, the commission to
 * platform revenue. Not enough money: 402 and nothing changes.
 */
export const enroll = (ctx: AppContext, userId: number, courseId: number) =>
  write(ctx, (tx, now) => {
    const c = findCourse(tx, courseId);
    if (!c) throw notFound("course");
    if (c.expertId === userId) throw conflict("you cannot enroll in your own course");
    if (c.status === "draft") throw notFound("course");
    const prior = findEnrollment(tx, courseId, userId);
    if (prior) throw conflict("already enrolled in this course", { enrollment_id: prior.id });
    if (c.status === "archived")
      throw conflict("the course is archived and takes no new enrollments", { status: c.status });

    const learner = userAvailable(userId, c.currency);
    if (c.price > 0) {
      const available = balanceOf(tx, learner);
      if (available < c.price) {
        throw new ApiError("insufficient_funds", "not enough funds", {
          available,
          required: c.price,
          currency: c.currency,
        });
      }
    }
    const en = tx
      .insert(e)
      .values({ courseId, userId, pricePaid: c.price, createdAt: now, updatedAt: now })
      .returning()
      .get();

    const commission = courseCommission(c.price, ctx.settings.get("order_commission_percent"));
    const expertShare = c.price - commission;
    const key = `course:${c.id}:enroll:${userId}:${en.id}`;
    const reference = { type: "course_enrollment", id: en.id };
    const metadata = { course_id: c.id, learner_id: userId, expert_id: c.expertId };
    const legs = [
      { to: userAvailable(c.expertId, c.currency), amount: expertShare, kind: "payment" as const },
      { to: platformRevenue(c.currency), amount: commission, kind: "commission" as const },
    ];
    for (const leg of legs) {
      if (leg.amount <= 0) continue;
      const r = transfer(ctx, tx, {
        from: learner,
        to: leg.to,
        amount: leg.amount,
        kind: leg.kind,
        idempotencyKey: `${key}:${leg.kind}`,
        reference,
        metadata,
      });
      // A fresh enrollment id makes the key new; an old transfer under it would mean an unpaid course.
      if (!r.applied) throw new Error(`ledger key already used: ${key}:${leg.kind}`);
    }

    emit(tx, now, {
      type: "course.enrolled",
      actorId: userId,
      subjectType: "course",
      subjectId: c.id,
      payload: {
        enrollment_id: en.id,
        user_id: userId,
        price_paid: c.price,
        currency: c.currency,
        commission,
        expert_amount: expertShare,
      },
    });
    notify(ctx, tx, {
      userId: c.expertId,
      type: "course_enrolled",
      title: "New enrollment",
      message: `A learner enrolled in "${c.title}".`,
      data: { course_id: c.id, enrollment_id: en.id, price_paid: c.price, currency: c.currency },
    });
    return serializeEnrollment(en, c);
  });

/** The caller's enrollments, newest first, with the course's title and status. */
export function listMyEnrollments(ctx: AppContext, userId: number, q: PageQuery) {
  const where = eq(e.userId, userId);
  const total = ctx.db.select({ n: count() }).from(e).where(where).get()!.n;
  const rows = ctx.db
    .select({
      en: getTableColumns(e),
      title: courses.title,
      status: courses.status,
      currency: courses.currency,
    })
    .from(e)
    .innerJoin(courses, eq(courses.id, e.courseId))
    .where(where)
    .orderBy(desc(e.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all();
  return { total, results: rows.map(({ en, ...c }) => serializeEnrollment(en, c)) };
}

/**
 * The caller's enrollment in a course. A course they cannot see is 404; a visible course they
 * are not enrolled in is 403 (only learners may report progress or rate).
 */
function myEnrollment(tx: Tx, userId: number, courseId: number) {
  const c = findCourse(tx, courseId);
  if (!c || (c.status === "draft" && c.expertId !== userId)) throw notFound("course");
  const en = findEnrollment(tx, courseId, userId);
  if (!en) throw forbidden("only learners enrolled in this course may do this");
  return { c, en };
}

/** Progress only moves forward; reaching 100 completes the enrollment and tells the learner. */
export const recordProgress = (ctx: AppContext, userId: number, courseId: number, progress: number) =>
  write(ctx, (tx, now) => {
    const { c, en } = myEnrollment(tx, userId, courseId);
    if (progress < en.progress) {
      throw conflict("progress never goes backwards", { current: en.progress, requested: progress });
    }
    if (progress === en.progress) return serializeEnrollment(en, c);
    const completes = progress === 100;
    const row = tx
      .update(e)
      .set({
        progress,
        updatedAt: now,
        ...(completes && { status: "completed" as const, completedAt: now }),
      })
      .where(eq(e.id, en.id))
      .returning()
      .get()!;
    emit(tx, now, {
      type: "course.progressed",
      actorId: userId,
      subjectType: "course",
      subjectId: c.id,
      payload: { enrollment_id: en.id, from: en.progress, to: progress },
    });
    if (completes) {
      emit(tx, now, {
        type: "course.completed",
        actorId: userId,
        subjectType: "course",
        subjectId: c.id,
        payload: { enrollment_id: en.id, user_id: userId },
      });
      notify(ctx, tx, {
        userId,
        type: "course_completed",
        title: "Course completed",
        message: `You completed "${c.title}".`,
        data: { course_id: c.id, enrollment_id: en.id },
      });
    }
    return serializeEnrollment(row, c);
  });

/** One rating (1-5, optional review) per enrolled learner; a second one is a conflict. */
export const rateCourse = (ctx: AppContext, userId: number, courseId: number, b: RateInput) =>
  write(ctx, (tx, now) => {
    const { c, en } = myEnrollment(tx, userId, courseId);
    if (en.rating != null) throw conflict("you have already rated this course", { rating: en.rating });
    const row = tx
      .update(e)
      .set({ rating: b.rating, review: b.review ?? null, ratedAt: now, updatedAt: now })
      .where(eq(e.id, en.id))
      .returning()
      .get()!;
    emit(tx, now, {
      type: "course.rated",
      actorId: userId,
      subjectType: "course",
      subjectId: c.id,
      payload: { enrollment_id: en.id, rating: b.rating, has_review: row.review != null },
    });
    return serializeEnrollment(row, c);
  });
