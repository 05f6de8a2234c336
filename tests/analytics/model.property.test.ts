import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { courseEnrollments, courses, ORDER_STATUSES, type OrderStatus, reviews } from "../../src/db/schema";
import { DAY, HOUR } from "../../src/lib/time";
import { periodOf } from "../../src/modules/analytics/period";

import { makeTestApp } from "../helpers/app";
import { makeOrder, makeSubject } from "../helpers/marketplace";
import { type User, V } from "./flows";

/** A random small marketplace: orders of both kinds in every status, courses, ratings and reviews. */
const world = fc.record({
  clients: fc.integer({ min: 1, max: 4 }),
  experts: fc.integer({ min: 1, max: 3 }),
  orders: fc.array(
    fc.record({
      client: fc.nat(),
      expert: fc.nat(),
      kind: fc.constantFrom("work" as const, "session" as const),
      status: fc.constantFrom(...ORDER_STATUSES),
      minutes: fc.integer({ min: 15, max: 120 }),
      ageHours: fc.integer({ min: 0, max: 40 * 24 }),
      clientReview: fc.option(fc.integer({ min: 1, max: 5 })),
      expertReview: fc.option(fc.integer({ min: 1, max: 5 })),
    }),
    { maxLength: 25 },
  ),
  courses: fc.array(
    fc.record({
      expert: fc.nat(),
      status: fc.constantFrom("draft" as const, "published" as const, "archived" as const),
      learners: fc.uniqueArray(
        fc.record({
          client: fc.nat(3),
          progress: fc.integer({ min: 0, max: 100 }),
          rating: fc.option(fc.integer({ min: 1, max: 5 })),
        }),
        { selector: (l) => l.client, maxLength: 4 },
      ),
    }),
    { maxLength: 3 },
  ),
});

const pct = (a: number, b: number) => (b ? Math.round((a * 10_000) / b) / 100 : 0);
const avg = <E>(sum: number, n: number, empty: E) => (n ? Math.round((sum * 100) / n) / 100 : empty);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const t = makeTestApp();
const admin = await t.user("admin");
const subject = makeSubject(t);
const WIPE = `DELETE FROM reviews; DELETE FROM course_enrollments; DELETE FROM courses; DELETE FROM orders;
  DELETE FROM users WHERE id <> ${admin.id};`;

describe("figures equal a model computed from the rows", () => {
  test("platform, sessions, courses and every user's engagement ", async () => {
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        // One database for every run, emptied first; a day later each time, so every cached
        // answer of the run before has expired.
        t.ctx.sqlite.exec(WIPE);
        t.clock.advance(DAY);
        const now = t.clock.now();
        const clients: User[] = [];
        for (let i = 0; i < w.clients; i++) clients.push(await t.user("client"));
        const experts: User[] = [];
        for (let i = 0; i < w.experts; i++) experts.push(await t.user("expert"));

        const orders = w.orders.map((o) => {
          const client = clients[o.client % clients.length]!;
          const expert = o.status === "new" ? null : experts[o.expert % experts.length]!;
          const row = makeOrder(t, {
            clientId: client.id,
            subjectId: subject.id,
            kind: o.kind,
            status: o.status,
            expertId: expert?.id ?? null,
            durationMinutes: o.kind === "session" ? o.minutes : null,
            createdAt: now - o.ageHours * HOUR,
          });
          return {
            ...o,
            id: row.id,
            clientId: client.id,
            expertId: expert?.id ?? null,
            createdAt: row.createdAt,
          };
        });
        const written: { author: number; rating: number }[] = [];
        for (const o of orders) {
          if (o.status !== "completed" || o.expertId == null) continue;
          const add = (direction: "client_to_expert" | "expert_to_client", rating: number | null) => {
            if (rating == null) return;
            const [author, target] =
              direction === "client_to_expert" ? [o.clientId, o.expertId!] : [o.expertId!, o.clientId];
            t.ctx.db
              .insert(reviews)
              .values({
                orderId: o.id,
                direction,
                authorId: author,
                targetId: target,
                rating,
                createdAt: now,
              })
              .run();
            written.push({ author, rating });
          };
          add("client_to_expert", o.clientReview);
          add("expert_to_client", o.expertReview);
        }
        const made = w.courses.map((c, i) => {
          const row = t.ctx.db
            .insert(courses)
            .values({
              expertId: experts[c.expert % experts.length]!.id,
              title: `Course ${i}`,
              status: c.status,
              createdAt: now,
              updatedAt: now,
            })
            .returning()
            .get();
          const learners = c.learners.map((l) => ({ ...l, userId: clients[l.client % clients.length]!.id }));
          const seen = new Set<number>();
          const kept = learners.filter((l) => !seen.has(l.userId) && seen.add(l.userId));
          for (const l of kept) {
            t.ctx.db
              .insert(courseEnrollments)
              .values({
                courseId: row.id,
                userId: l.userId,
                progress: l.progress,
                status: l.progress === 100 ? "completed" : "active",
                rating: l.rating,
                createdAt: now,
                updatedAt: now,
              })
              .run();
            if (l.rating != null) written.push({ author: l.userId, rating: l.rating });
          }
          return { id: row.id, title: row.title, status: c.status, learners: kept };
        });
        const get = async (path: string, token = admin.token) => {
          const r = await t.call("GET", `${V}${path}`, { token });
          expect(r.status).toBe(200);
          return r.body;
        };

        const sessions = orders.filter((o) => o.kind === "session");
        const completed = sessions.filter((o) => o.status === "completed");
        const ended = sessions.filter((o) =>
          ["completed", "cancelled", "declined_by_expert"].includes(o.status),
        );
        const enrollments = made.flatMap((c) => c.learners);
        const platform = await get("/analytics/platform");
        expect(platform.sessions).toEqual({
          total: sessions.length,
          completed: completed.length,
          scheduled: sessions.length - ended.length,
          completion_rate: pct(completed.length, sessions.length),
        });
        expect(platform.courses).toEqual({
          total: made.length,
          published: made.filter((c) => c.status === "published").length,
          enrollments: enrollments.length,
          avg_enrollments_per_course: avg(enrollments.length, made.length, 0),
        });
        expect(platform.reviews).toEqual({
          total: written.length,
          average_rating: avg(sum(written.map((r) => r.rating)), written.length, null),
        });

        const p = periodOf(now, 30);
        const recent = sessions.filter((o) => o.createdAt >= p.from);
        const recentDone = recent.filter((o) => o.status === "completed");
        const byExpert = new Map<number, number>();
        for (const o of recentDone) byExpert.set(o.expertId!, (byExpert.get(o.expertId!) ?? 0) + 1);
        const expected = {
          period_days: 30,
          analytics: {
            total: recent.length,
            by_status: Object.fromEntries(
              ORDER_STATUSES.map((s) => [s, recent.filter((o) => o.status === s).length]),
            ) as Record<OrderStatus, number>,
            avg_duration_minutes: avg(sum(recentDone.map((o) => o.minutes)), recentDone.length, null),
            top_mentors: [...byExpert]
              .sort((a, b) => b[1] - a[1] || a[0] - b[0])
              .slice(0, 5)
              .map(([mentor_id, n]) => ({ mentor_id, sessions: n })),
          },
        };
        expect(await get("/analytics/sessions?days=30")).toEqual(expected);

        const courseFigures = made
          .map((c) => ({
            course_id: c.id,
            course_title: c.title,
            enrollments: c.learners.length,
            avg_progress: avg(sum(c.learners.map((l) => l.progress)), c.learners.length, 0),
            completed: c.learners.filter((l) => l.progress === 100).length,
            completion_rate: pct(c.learners.filter((l) => l.progress === 100).length, c.learners.length),
            avg_rating: avg(
              sum(c.learners.map((l) => l.rating ?? 0)),
              c.learners.filter((l) => l.rating != null).length,
              null,
            ),
          }))
          .sort((a, b) => b.enrollments - a.enrollments || a.course_id - b.course_id);
        expect(await get("/analytics/courses")).toEqual({ courses: courseFigures });

        for (const u of [...clients, ...experts]) {
          const mine = enrollments.filter((l) => l.userId === u.id);
          const attended = completed.filter((o) => o.clientId === u.id).length;
          const reviewsWritten = written.filter((r) => r.author === u.id).length;
          const e = await get(`/analytics/user/${u.id}/engagement`);
          expect(e).toMatchObject({
            user_id: u.id,
            sessions_attended: attended,
            courses_enrolled: mine.length,
            avg_progress: avg(sum(mine.map((l) => l.progress)), mine.length, 0),
            reviews_written: reviewsWritten,
          });
          const avgProgress = mine.length ? sum(mine.map((l) => l.progress)) / mine.length : 0;
          const float =
            Math.min(attended * 3, 30) +
            Math.min(mine.length * 5, 25) +
            Math.min(0.3 * avgProgress, 30) +
            Math.min(reviewsWritten * 5, 15);
          expect(Math.abs(e.engagement_score - float)).toBeLessThanOrEqual(0.5 + 1e-9);
        }
        // Every rating written is some user's review: the users' counts add up to the platform's.
        const perUser = await Promise.all(
          [...clients, ...experts].map(
            async (u) => (await get(`/analytics/user/${u.id}/engagement`)).reviews_written,
          ),
        );
        expect(sum(perUser)).toBe(platform.reviews.total);
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
