import { DAY, HOUR, MINUTE } from "../lib/time";
import { courseCommission } from "../modules/courses/service";
import { platformRevenue, userAvailable } from "../modules/ledger/service";
import { fundWallet, fundWalletNow } from "./payments";
import { GrowingPool } from "./random";
import { courseTitle } from "./texts";
import type { Person, World } from "./world";

type Course = {
  id: number;
  expert: Person;
  price: number;
  quality: number;
  title: string;
  archived: boolean;
};

/** Course prices in roubles; a third of the courses are free. */
const PRICES_RUB = [990, 1490, 1990, 2990, 4990, 7990, 14_990];

type State = { published: GrowingPool<Course>; enrolled: Set<string> };
const states = new WeakMap<World, State>();
function state(w: World): State {
  let s = states.get(w);
  if (!s) {
    s = { published: new GrowingPool(), enrolled: new Set() };
    states.set(w, s);
  }
  return s;
}

/** Some experts write courses once verified: drafts, most published, a few archived later. */
export function startTeaching(w: World, expert: Person, subjectId: number, verifiedAt: number) {
  if (!w.rng.chance(0.15)) return;
  const n = w.rng.int(1, 3);
  for (let i = 0; i < n; i++) {
    const t = w.after(verifiedAt, w.rng.exp(25 * DAY) + HOUR);
    w.at(t, () => createCourse(w, expert, subjectId, t));
  }
}

function createCourse(w: World, expert: Person, subjectId: number, t: number) {
  const { rng } = w;
  const subject = w.catalog.subjects.find((s) => s.id === subjectId)!;
  const title = courseTitle(rng, subject.name);
  const price = rng.chance(0.35) ? 0 : rng.pick(PRICES_RUB) * 100;
  const publishAt = rng.chance(0.82) ? w.after(t, rng.exp(3 * DAY) + HOUR) : Number.POSITIVE_INFINITY;
  const archiveAt = rng.chance(0.1) ? w.after(publishAt, rng.exp(60 * DAY) + DAY) : Number.POSITIVE_INFINITY;
  const published = publishAt <= w.end;
  const archived = archiveAt <= w.end;
  const id = w.w.insert(
    "courses",
    expert.id,
    subjectId,
    title,
    rng.chance(0.3)
      ? null
      : `A course by ${expert.username}: ${title.toLowerCase()}, with exercises and a final test.`,
    price,
    "RUB",
    archived ? "archived" : published ? "published" : "draft",
    published ? publishAt : null,
    t,
    archived ? archiveAt : published ? publishAt : t,
  );
  w.w.event(t, "course.created", expert.id, "course", id, {
    title,
    subject_id: subjectId,
    price,
    currency: "RUB",
  });
  const course: Course = { id, expert, price, quality: rng.uniform(0.3, 1), title, archived: false };
  w.at(publishAt, () => {
    w.w.event(publishAt, "course.published", expert.id, "course", id, { from: "draft", to: "published" });
    state(w).published.add(course, rng.logNormal(1, 1));
  });
  w.at(archiveAt, () => {
    course.archived = true;
    w.w.event(archiveAt, "course.archived", expert.id, "course", id, { from: "published", to: "archived" });
  });
}

/** A learner enrolls in `count` published courses over their active time. */
export function startLearning(w: World, p: Person, count: number) {
  const until = Math.min(w.end, p.churnAt, p.bannedAt);
  const from = p.signup + HOUR;
  if (until <= from) return;
  const times = Array.from({ length: count }, () => Math.floor(w.instantBetween(from, until))).sort(
    (a, b) => a - b,
  );
  for (const t of times) w.at(t, () => chooseCourse(w, p, t));
}

function chooseCourse(w: World, p: Person, t: number) {
  const s = state(w);
  for (let i = 0; i < 5; i++) {
    const c = s.published.draw(w.rng);
    if (!c) return;
    if (c.archived || c.expert.id === p.id || s.enrolled.has(`${c.id}:${p.id}`)) continue;
    // Courses are priced in roubles: wallets in other currencies take the free ones.
    if (c.price > 0 && p.currency !== "RUB") continue;
    s.enrolled.add(`${c.id}:${p.id}`);
    if (c.price === 0) enroll(w, p, c, t);
    else {
      fundWallet(w, p, "RUB", c.price, t);
      const at = t + w.rng.int(6, 12) * MINUTE;
      w.at(at, () => enroll(w, p, c, at));
    }
    return;
  }
}

/**
 * courses/service.ts enroll: the row, the payment (price minus commission to the expert, the
 * commission to revenue) and `course.enrolled`; then progress, completion and a rating over time.
 */
function enroll(w: World, p: Person, c: Course, t: number) {
  if (c.archived) return;
  const { rng } = w;
  const id = w.w.nextId("course_enrollments");
  const completes = rng.chance(0.3);
  const final = completes ? 100 : rng.chance(0.15) ? 0 : rng.int(5, 95);
  const n = final === 0 ? 0 : completes ? rng.int(3, 6) : rng.int(1, 4);
  const values = Array.from({ length: n - 1 }, () => rng.int(1, Math.max(1, final - 1)))
    .concat(n > 0 ? [final] : [])
    .sort((a, b) => a - b)
    .filter((v, i, all) => i === 0 || v > all[i - 1]!);
  let at = t;
  const updates = values.map((v) => {
    at = w.after(at, rng.exp(4 * DAY) + HOUR);
    return { t: at, v };
  });
  const applied = updates.filter((u) => u.t <= w.end);
  const progress = applied.at(-1)?.v ?? 0;
  const completedAt = progress === 100 ? applied.at(-1)!.t : null;
  const reached30 = updates.find((u) => u.v >= 30);
  const rating =
    reached30 && rng.chance(0.5)
      ? {
          t: w.after(reached30.t, rng.exp(2 * DAY) + HOUR),
          stars: [1, 2, 3, 4, 5][
            rng.weighted([1, 1, 3, 10, 15].map((x, i) => (i >= 3 ? x * c.quality : x)))
          ]!,
          review: rng.chance(0.4)
            ? rng.pick(["Very useful.", "Clear and well paced.", "Too basic for me.", "Great exercises."])
            : null,
        }
      : null;
  const rated = rating && rating.t <= w.end ? rating : null;
  const updatedAt = Math.max(applied.at(-1)?.t ?? t, rated?.t ?? t);
  fundWalletNow(w, p, "RUB", c.price);
  w.w.insert(
    "course_enrollments",
    c.id,
    p.id,
    completedAt ? "completed" : "active",
    progress,
    c.price,
    completedAt,
    rated?.stars ?? null,
    rated?.review ?? null,
    rated?.t ?? null,
    t,
    updatedAt,
  );
  const commission = courseCommission(c.price, w.settings.commissionPercent);
  const key = `course:${c.id}:enroll:${p.id}:${id}`;
  const legs = [
    { to: userAvailable(c.expert.id, "RUB"), amount: c.price - commission, kind: "payment" as const },
    { to: platformRevenue("RUB"), amount: commission, kind: "commission" as const },
  ];
  for (const leg of legs) {
    if (leg.amount <= 0) continue;
    w.books.move(t, {
      from: userAvailable(p.id, "RUB"),
      to: leg.to,
      amount: leg.amount,
      kind: leg.kind,
      key: `${key}:${leg.kind}`,
      reference: { type: "course_enrollment", id },
      metadata: { course_id: c.id, learner_id: p.id, expert_id: c.expert.id },
    });
  }
  w.w.event(t, "course.enrolled", p.id, "course", c.id, {
    enrollment_id: id,
    user_id: p.id,
    price_paid: c.price,
    currency: "RUB",
    commission,
    expert_amount: c.price - commission,
  });
  let prev = 0;
  for (const u of applied) {
    const from = prev;
    prev = u.v;
    w.at(u.t, () => {
      w.w.event(u.t, "course.progressed", p.id, "course", c.id, { enrollment_id: id, from, to: u.v });
      if (u.v === 100)
        w.w.event(u.t, "course.completed", p.id, "course", c.id, { enrollment_id: id, user_id: p.id });
    });
  }
  if (rated) {
    w.at(rated.t, () =>
      w.w.event(rated.t, "course.rated", p.id, "course", c.id, {
        enrollment_id: id,
        rating: rated.stars,
        has_review: rated.review != null,
      }),
    );
  }
}
