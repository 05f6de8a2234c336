/** Injected clock: every time-dependent verb reads ctx.clock, so tests can move time. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests drive by hand. */
export class ManualClock implements Clock {
  constructor(private t = Date.parse("2026-11-22T10:00:00.000Z")) {}
  now() {
    return this.t;
  }
  set(iso: string | number) {
    this.t = typeof iso === "number" ? iso : Date.parse(iso);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null | undefined) => (ms == null ? null : iso(ms));

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
