import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { GrowingPool, Rng } from "../../src/seed-scale/random";
import { Timeline } from "../../src/seed-scale/timeline";
import { nextRun } from "../../src/seed-scale/world";

/**
 * The generator writes rows in the order its timeline runs actions, and ids follow that order:
 * the time order of the whole data set rests on these properties.
 */

const NUM_RUNS = Number(process.env.FC_RUNS ?? 100);

describe("Timeline", () => {
  test("runs actions in time order, ties in the order scheduled, including actions scheduled while running", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 50 }),
            children: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 3 }),
          }),
          {
            maxLength: 60,
          },
        ),
        fc.integer({ min: 0, max: 80 }),
        (specs, end) => {
          const tl = new Timeline(0);
          const ran: { t: number; seq: number }[] = [];
          let seq = 0;
          const schedule = (t: number, children: number[]) => {
            const mine = seq++;
            tl.at(t, () => {
              ran.push({ t, seq: mine });
              expect(tl.now).toBe(t);
              for (const d of children) schedule(t + d, []);
            });
          };
          for (const s of specs) schedule(s.t, s.children);
          tl.run(end);
          // Sorted by (time, scheduling order), nothing after `end`, everything due has run.
          for (let i = 1; i < ran.length; i++) {
            const a = ran[i - 1]!;
            const b = ran[i]!;
            expect(a.t < b.t || (a.t === b.t && a.seq < b.seq)).toBe(true);
          }
          expect(ran.every((x) => x.t <= end)).toBe(true);
          const dueTop = specs.filter((s) => s.t <= end).length;
          expect(ran.filter((x) => x.seq < specs.length).length).toBe(dueTop);
          expect(tl.size + ran.length).toBe(seq);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test("refuses an action in the past", () => {
    const tl = new Timeline(100);
    expect(() => tl.at(99, () => {})).toThrow("scheduled in the past");
  });
});

describe("Rng", () => {
  test("the same seed draws the same sequence; draws stay in their ranges", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 100 }),
        (seed, lo, span) => {
          const a = new Rng(seed);
          const b = new Rng(seed);
          for (let i = 0; i < 50; i++) {
            const x = a.next();
            expect(b.next()).toBe(x);
            expect(x >= 0 && x < 1).toBe(true);
            const n = a.int(lo, lo + span);
            b.int(lo, lo + span);
            expect(Number.isInteger(n) && n >= lo && n <= lo + span).toBe(true);
          }
          expect(a.uuid()).toBe(b.uuid());
        },
      ),
      { numRuns: NUM_RUNS },
    );
    expect(new Rng(1).next()).not.toBe(new Rng(2).next());
    expect(new Rng(3).uuid()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test("weighted never draws a zero weight, and a pool draws only what it holds", () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 8 }), fc.nat(), (weights, seed) => {
        fc.pre(weights.some((w) => w > 0));
        const rng = new Rng(seed);
        const pool = new GrowingPool<number>();
        weights.forEach((w, i) => {
          if (w > 0) pool.add(i, w);
        });
        for (let i = 0; i < 30; i++) {
          expect(weights[rng.weighted(weights)]).toBeGreaterThan(0);
          expect(weights[pool.draw(rng)!]).toBeGreaterThan(0);
        }
      }),
      { numRuns: NUM_RUNS },
    );
    expect(new GrowingPool().draw(new Rng(1))).toBeUndefined();
  });
});

test("nextRun: the first run of an every-n-minutes schedule at or after an instant", () => {
  const at = Date.parse("2026-11-22T10:00:00.000Z");
  expect(nextRun(at, 5)).toBe(at);
  expect(nextRun(at + 1, 5)).toBe(at + 5 * 60_000);
  expect(nextRun(at + 7 * 60_000, 10)).toBe(at + 10 * 60_000);
});
