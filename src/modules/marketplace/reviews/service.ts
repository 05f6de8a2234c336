import { and, count, desc, eq, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { expertProfiles, orders, reviews, users } from "../../../db/schema";
import { write } from "../../../db/write";
import type { Principal } from "../../../http/types";
import { conflict, forbidden, notFound } from "../../../lib/errors";
import { offset, page } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { emit } from "../../platform/events/service";
import { notify } from "../../platform/notifications/service";
import { orderFor } from "../orders/access";
import type {
  ClientReviewInput,
  ExpertReview,
  ExpertReviewInput,
  PublicExpertReview,
  RatingDistribution,
  Review,
  ReviewFlag,
} from "./schemas";

export type ReviewDirection = (typeof reviews.$inferSelect)["direction"];

const author = alias(users, "author");
const target = alias(users, "target");

/** Reviews with their author's and target's names, oldest first. */
function loadReviews(db: Queryable, where: SQL | undefined): Review[] {
  return db
    .select({
      r: reviews,
      authorName: author.username,
      targetName: target.username,
    })
    .from(reviews)
    .innerJoin(author, eq(author.id, reviews.authorId))
    .innerJoin(target, eq(target.id, reviews.targetId))
    .where(where)
    .orderBy(reviews.id)
    .all()
    .map(({ r, authorName, targetName }) => ({
      id: r.id,
      order_id: r.orderId,
      direction: r.direction,
      rating: r.rating,
      comment: r.comment,
      flags: r.flags,
      is_published: r.isPublished,
      author: { id: r.authorId, username: authorName },
      target: { id: r.targetId, username: targetName },
      created_at: iso(r.createdAt),
    }));
}

const SIDE = {
  client_to_expert: { author: "client", noun: "client" },
  expert_to_client: { author: "expert", noun: "expert" },
} as const;

/**
 * One review per side of a completed order: the client rates the expert (`client_to_expert`), the
 * expert rates the client and may flag their behaviour (`expert_to_client`). The other participant
 * and staff get 403, strangers 404; the target is notified.
 */
function createReview(
  ctx: AppContext,
  p: Principal,
  orderId: number,
  direction: ReviewDirection,
  b: { rating: number; comment?: string | null; flags?: ReviewFlag[] },
) {
  const side = SIDE[direction];
  return write(ctx, (tx, now) => {
    const { order, role } = orderFor(ctx, p, orderId, tx);
    if (role !== side.author) throw forbidden(`only the order's ${side.author} may write this review`);
    if (order.status !== "completed" || order.expertId == null) {
      throw conflict("reviews open once the order is completed", { status: order.status });
    }
    const exists = tx
      .select({ id: reviews.id })
      .from(reviews)
      .where(and(eq(reviews.orderId, orderId), eq(reviews.direction, direction)))
      .get();
    // Checked inside the immediate transaction, so no other writer can add one before the insert.
    if (exists) throw conflict(`the ${side.noun} has already reviewed this order`, { review_id: exists.id });
    const targetId = direction === "client_to_expert" ? order.expertId : order.clientId;
    const id = tx
      .insert(reviews)
      .values({
        orderId,
        direction,
        authorId: p.user.id,
        targetId,
        rating: b.rating,
        comment: b.comment ?? null,
        flags: b.flags ?? [],
        isPublished: true,
        createdAt: now,
      })
      .returning({ id: reviews.id })
      .get().id;
    emit(tx, now, {
      type: "order.review_created",
      actorId: p.user.id,
      subjectType: "order",
      subjectId: orderId,
      payload: { review_id: id, direction, rating: b.rating, target_id: targetId, flags: b.flags ?? [] },
    });
    notify(ctx, tx, {
      userId: targetId,
      type: "review_received",
      title: "New review",
      message: `You received a ${b.rating}-star review for order #${order.id} «${order.title}»`,
      data: { order_id: orderId, review_id: id, rating: b.rating },
    });
    return loadReviews(tx, eq(reviews.id, id))[0]!;
  });
}

/** The client's review of the expert (seed 001 `review-master`). */
export const reviewExpert = (ctx: AppContext, p: Principal, orderId: number, b: ExpertReviewInput) =>
  createReview(ctx, p, orderId, "client_to_expert", b);

/** The expert's review of the client, with behaviour flags (seed 001 `review-client`). */
export const reviewClient = (ctx: AppContext, p: Principal, orderId: number, b: ClientReviewInput) =>
  createReview(ctx, p, orderId, "expert_to_client", b);

/** Both reviews of an order (0, 1 or 2), for its participants and staff. */
export function listOrderReviews(ctx: AppContext, p: Principal, orderId: number) {
  orderFor(ctx, p, orderId);
  return { results: loadReviews(ctx.db, eq(reviews.orderId, orderId)) };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * Average (2 decimals, null when there is none), count and 1-5 distribution of the published
 * reviews a user received in one direction: one GROUP BY query.
 */
export function ratingSummary(
  db: Queryable,
  userId: number,
  direction: "client_to_expert" | "expert_to_client",
): { average_rating: number | null; count: number; rating_distribution: RatingDistribution } {
  const rows = db
    .select({ rating: reviews.rating, n: count() })
    .from(reviews)
    .where(and(eq(reviews.targetId, userId), eq(reviews.direction, direction), eq(reviews.isPublished, true)))
    .groupBy(reviews.rating)
    .all();
  const dist: RatingDistribution = { "5": 0, "4": 0, "3": 0, "2": 0, "1": 0 };
  let total = 0;
  let sum = 0;
  for (const { rating, n } of rows) {
    dist[String(rating) as keyof RatingDistribution] = n;
    total += n;
    sum += rating * n;
  }
  return { average_rating: total ? round2(sum / total) : null, count: total, rating_distribution: dist };
}

/**
 * Seed 000's reviews of an expert: published client reviews, newest first. `count` and `results`
 * follow the `rating` filter; `average_rating` and `rating_distribution` cover every published review.
 */
export function listExpertReviews(
  db: Queryable,
  expertId: number,
  q: { rating?: number; page: number; page_size: number },
  url: string,
) {
  const summary = ratingSummary(db, expertId, "client_to_expert");
  const conds: SQL[] = [
    eq(reviews.targetId, expertId),
    eq(reviews.direction, "client_to_expert"),
    eq(reviews.isPublished, true),
  ];
  if (q.rating !== undefined) conds.push(eq(reviews.rating, q.rating));
  // The distribution already holds the filtered count: no second count query.
  const total =
    q.rating === undefined
      ? summary.count
      : (summary.rating_distribution[String(q.rating) as keyof RatingDistribution] ?? 0);
  const results: ExpertReview[] = db
    .select({
      id: reviews.id,
      rating: reviews.rating,
      comment: reviews.comment,
      createdAt: reviews.createdAt,
      clientId: users.id,
      clientName: users.username,
      orderId: orders.id,
      orderTitle: orders.title,
    })
    .from(reviews)
    .innerJoin(users, eq(users.id, reviews.authorId))
    .innerJoin(orders, eq(orders.id, reviews.orderId))
    .where(and(...conds))
    .orderBy(desc(reviews.createdAt), desc(reviews.id))
    .limit(q.page_size)
    .offset(offset(q))
    .all()
    .map((r) => ({
      id: r.id,
      rating: r.rating,
      comment: r.comment,
      client: { id: r.clientId, username: r.clientName },
      order: { id: r.orderId, title: r.orderTitle },
      created_at: iso(r.createdAt),
    }));
  const { next, previous } = page(url, q, total, results);
  return {
    count: total,
    next,
    previous,
    average_rating: summary.average_rating,
    rating_distribution: summary.rating_distribution,
    results,
  };
}

/**
 * The public reviews of a user who is (or was approved as) an expert; 404 for anyone else. The
 * order's title and the client's name stay with the participants and staff: the public sees the
 * rating, the comment and the date.
 */
export function publicExpertReviews(
  ctx: AppContext,
  expertId: number,
  q: { rating?: number; page: number; page_size: number },
  url: string,
) {
  const u = ctx.db
    .select({ role: users.role, profile: expertProfiles.userId })
    .from(users)
    .leftJoin(expertProfiles, eq(expertProfiles.userId, users.id))
    .where(eq(users.id, expertId))
    .get();
  if (!u || (u.role !== "expert" && u.profile == null)) throw notFound("expert");
  const page = listExpertReviews(ctx.db, expertId, q, url);
  const results: PublicExpertReview[] = page.results.map(({ client: _c, order: _o, ...r }) => r);
  return { ...page, results };
}
