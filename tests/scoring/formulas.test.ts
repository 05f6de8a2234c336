import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DAY, HOUR } from "../../src/lib/time";
import {
  accountAgeDays,
  type ClientInputs,
  clientRisk,
  type ExpertInputs,
  expertScore,
  riskLevel,
  round2,
} from "../../src/modules/scoring/formulas";

const NONE: ClientInputs = {
  ordersTotal: 0,
  ordersCancelled: 0,
  ordersCompleted: 0,
  negativeFlags: 0,
  reviewsReceived: 0,
  ratingSum: 0,
};

/** Consistent client inputs: cancelled + completed <= total, reviews rate 1-5, up to 6 negative flags each. */
const clientInputs = fc
  .record({
    total: fc.integer({ min: 0, max: 2000 }),
    cancelledShare: fc.double({ min: 0, max: 1, noNaN: true }),
    completedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    reviews: fc.integer({ min: 0, max: 500 }),
    ratingShare: fc.double({ min: 0, max: 1, noNaN: true }),
    flagsPerReview: fc.integer({ min: 0, max: 6 }),
  })
  .map(({ total, cancelledShare, completedShare, reviews, ratingShare, flagsPerReview }) => {
    const cancelled = Math.floor(total * cancelledShare);
    return {
      ordersTotal: total,
      ordersCancelled: cancelled,
      ordersCompleted: Math.floor((total - cancelled) * completedShare),
      negativeFlags: reviews * flagsPerReview,
      reviewsReceived: reviews,
      ratingSum: reviews + Math.floor(4 * reviews * ratingShare),
    } satisfies ClientInputs;
  });
const age = fc.integer({ min: 0, max: 400 });

const expertInputs = fc
  .record({
    taken: fc.integer({ min: 0, max: 2000 }),
    completedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    failedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    breachedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    meanTakeHours: fc.double({ min: 0, max: 500, noNaN: true }),
    reviews: fc.integer({ min: 0, max: 2000 }),
    ratingShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map((x) => {
    const completed = Math.floor(x.taken * x.completedShare);
    return {
      reviewsCount: x.reviews,
      ratingSum: x.reviews + Math.floor(4 * x.reviews * x.ratingShare),
      ordersTaken: x.taken,
      ordersCompleted: completed,
      ordersFailed: Math.floor((x.taken - completed) * x.failedShare),
      slaBreaches: Math.floor(x.taken * x.breachedShare),
      takeHoursSum: x.taken * x.meanTakeHours,
    } satisfies ExpertInputs;
  });

const twoDecimals = (x: number) => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;

describe("round2", () => {
  test("half-up on the decimal value, binary noise dropped", () => {
    expect(round2(1.005)).toBe(1.01);
    expect(round2(2.675)).toBe(2.68);
    expect(round2((15 * 18) / 23)).toBe(11.74);
    expect(round2(33.333333)).toBe(33.33);
    expect(round2(0.1 + 0.2)).toBe(0.3);
    expect(round2(100)).toBe(100);
  });
});

describe("client risk", () => {
  test("a client who signed up today with no orders: exactly 25.00, medium", () => {
    expect(clientRisk(NONE, 0)).toEqual({ score: 25, level: "medium" });
  });

  test("whole days since sign-up; the age term ends at 30 days", () => {
    const signUp = Date.parse("2026-01-01T12:00:00Z");
    expect(accountAgeDays(signUp, signUp + DAY - 1)).toBe(0);
    expect(accountAgeDays(signUp, signUp + DAY)).toBe(1);
    expect(accountAgeDays(signUp, signUp - HOUR)).toBe(0);
    expect(clientRisk(NONE, 29).score).toBe(10.5);
    expect(clientRisk(NONE, 30).score).toBe(10);
    expect(clientRisk(NONE, 365).score).toBe(10);
  });

  test("each term at its documented weight", () => {
    const old = 30;
    // All cancelled: 45; five completed: no experience term.
    expect(clientRisk({ ...NONE, ordersTotal: 4, ordersCancelled: 4 }, old).score).toBe(55);
    expect(clientRisk({ ...NONE, ordersTotal: 5, ordersCompleted: 5 }, old).score).toBe(0);
    // Flags: 8 each, at most 25.
    expect(clientRisk({ ...NONE, ordersTotal: 5, ordersCompleted: 5, negativeFlags: 2 }, old).score).toBe(16);
    expect(clientRisk({ ...NONE, ordersTotal: 5, ordersCompleted: 5, negativeFlags: 9 }, old).score).toBe(25);
    // Average rating 1: 20; 3: 10.
    const rated = (sum: number, n: number) =>
      clientRisk({ ...NONE, ordersTotal: 5, ordersCompleted: 5, reviewsReceived: n, ratingSum: sum }, old)
        .score;
    expect(rated(2, 2)).toBe(20);
    expect(rated(6, 2)).toBe(10);
    expect(rated(7, 2)).toBe(7.5);
  });

  test("thresholds: under 25 low, under 50 medium, under 75 high, else critical", () => {
    expect([0, 24.99, 25, 49.99, 50, 74.99, 75, 100].map(riskLevel)).toEqual([
      "low",
      "low",
      "medium",
      "medium",
      "high",
      "high",
      "critical",
      "critical",
    ]);
  });

  test("property: always within 0..100 with 2 decimals, and the level follows the thresholds", () => {
    fc.assert(
      fc.property(clientInputs, age, (i, d) => {
        const r = clientRisk(i, d);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(twoDecimals(r.score)).toBe(true);
        const want = r.score < 25 ? "low" : r.score < 50 ? "medium" : r.score < 75 ? "high" : "critical";
        expect(r.level).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });

  test("property: risk never decreases when a cancellation is added (a new cancelled order, or an open one cancelled)", () => {
    fc.assert(
      fc.property(clientInputs, age, (i, d) => {
        const before = clientRisk(i, d).score;
        const added = { ...i, ordersTotal: i.ordersTotal + 1, ordersCancelled: i.ordersCancelled + 1 };
        expect(clientRisk(added, d).score).toBeGreaterThanOrEqual(before);
        if (i.ordersCancelled + i.ordersCompleted < i.ordersTotal) {
          const cancelled = { ...i, ordersCancelled: i.ordersCancelled + 1 };
          expect(clientRisk(cancelled, d).score).toBeGreaterThanOrEqual(before);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("property: risk never decreases when a negative flag is added", () => {
    fc.assert(
      fc.property(clientInputs, age, fc.integer({ min: 1, max: 6 }), (i, d, more) => {
        const before = clientRisk(i, d).score;
        expect(clientRisk({ ...i, negativeFlags: i.negativeFlags + more }, d).score).toBeGreaterThanOrEqual(
          before,
        );
      }),
      { numRuns: 2000 },
    );
  });

  test("property: risk never increases as the account ages", () => {
    fc.assert(
      fc.property(clientInputs, age, fc.integer({ min: 1, max: 40 }), (i, d, later) => {
        expect(clientRisk(i, d + later).score).toBeLessThanOrEqual(clientRisk(i, d).score);
      }),
    );
  });
});

describe("expert score", () => {
  test("no data: half of each weight, 50.00", () => {
    expect(
      expertScore({
        reviewsCount: 0,
        ratingSum: 0,
        ordersTaken: 0,
        ordersCompleted: 0,
        ordersFailed: 0,
        slaBreaches: 0,
        takeHoursSum: 0,
      }),
    ).toEqual({ rating: 20, success: 15, timeliness: 7.5, response: 7.5, master: 50 });
  });

  test("the best and the worst expert", () => {
    const base = { reviewsCount: 4, ordersTaken: 4 };
    expect(
      expertScore({
        ...base,
        ratingSum: 20,
        ordersCompleted: 4,
        ordersFailed: 0,
        slaBreaches: 0,
        takeHoursSum: 4,
      }).master,
    ).toBe(100);
    expect(
      expertScore({
        ...base,
        ratingSum: 4,
        ordersCompleted: 0,
        ordersFailed: 4,
        slaBreaches: 4,
        takeHoursSum: 96,
      }).master,
    ).toBe(0);
  });

  test("response: full within an hour, 0 from 24 hours, linear between", () => {
    const at = (hours: number) =>
      expertScore({
        reviewsCount: 0,
        ratingSum: 0,
        ordersTaken: 1,
        ordersCompleted: 0,
        ordersFailed: 0,
        slaBreaches: 0,
        takeHoursSum: hours,
      }).response;
    expect([0, 1, 12.5, 24, 100].map(at)).toEqual([15, 15, 7.5, 0, 0]);
  });

  test("property: components within their weights, master within 0..100 and the sum of the components", () => {
    fc.assert(
      fc.property(expertInputs, (i) => {
        const s = expertScore(i);
        for (const [v, max] of [
          [s.rating, 40],
          [s.success, 30],
          [s.timeliness, 15],
          [s.response, 15],
        ] as const) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(max);
          expect(twoDecimals(v)).toBe(true);
        }
        expect(s.master).toBeGreaterThanOrEqual(0);
        expect(s.master).toBeLessThanOrEqual(100);
        expect(s.master).toBe(round2(s.rating + s.success + s.timeliness + s.response));
      }),
      { numRuns: 2000 },
    );
  });
});
