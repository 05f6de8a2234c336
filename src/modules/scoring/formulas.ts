import { DAY } from "../../lib/time";

export const RISK_LEVELS = ["low", "medium", "high", "critical"] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** What a client's risk is computed from (the stored columns of `client_stats`). */
export type ClientInputs = {
  ordersTotal: number;
  ordersCancelled: number;
  ordersCompleted: number;
  negativeFlags: number;
  reviewsReceived: number;
  ratingSum: number;
};

/** What an expert's score is computed from (the stored columns of `expert_stats`). */
export type ExpertInputs = {
  reviewsCount: number;
  ratingSum: number;
  ordersTaken: number;
  ordersCompleted: number;
  ordersFailed: number;
  slaBreaches: number;
  takeHoursSum: number;
};

/**
 * Half-up to 2 decimals of the decimal value: 1.005 is 1.01. Going through 12 significant digits
 * drops the binary error first (1.005 * 100 is 100.49999999999999 in doubles).
 */
export function round2(x: number): number {
  return Math.round(Number((x * 100).toPrecision(12))) / 100;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Whole days since sign-up (0 on the first day, never negative). */
export const accountAgeDays = (createdAt: number, now: number) =>
  Math.max(0, Math.floor((now - createdAt) / DAY));

/** Thresholds of seed 001: 0-24.99 low, 25-49.99 medium, 50-74.99 high, 75-100 critical. */
export function riskLevel(score: number): RiskLevel {
  if (score < 25) return "low";
  if (score < 50) return "medium";
  if (score < 75) return "high";
  return "critical";
}

/** The five terms of a client's risk, unrounded (the score is their clamped, rounded sum). */
function riskTerms(i: ClientInputs, ageDays: number) {
  const avgRating = i.reviewsReceived ? i.ratingSum / i.reviewsReceived : 5;
  return {
    cancellation: i.ordersTotal ? (i.ordersCancelled / i.ordersTotal) * 45 : 0,
    behaviour: Math.min(i.negativeFlags * 8, 25),
    account_age: ageDays < 30 ? ((30 - ageDays) / 30) * 15 : 0,
    experience: i.ordersCompleted < 5 ? ((5 - i.ordersCompleted) / 5) * 10 : 0,
    rating: ((5 - avgRating) / 4) * 20,
  };
}

/** Client risk, 0..100 (higher is riskier), 2 decimals, and its level. */
export function clientRisk(i: ClientInputs, ageDays: number): { score: number; level: RiskLevel } {
  const t = riskTerms(i, ageDays);
  const score = round2(clamp(t.cancellation + t.behaviour + t.account_age + t.experience + t.rating, 0, 100));
  return { score, level: riskLevel(score) };
}

export type ExpertScore = {
  rating: number;
  success: number;
  timeliness: number;
  response: number;
  master: number;
};

/**
 * The expert's four components (each 2 decimals) and the master score, their sum: the parts a
 * user sees always add up to the total. A component without data takes half its weight.
 */
export function expertScore(i: ExpertInputs): ExpertScore {
  const ended = i.ordersCompleted + i.ordersFailed;
  const rating = round2(i.reviewsCount ? (40 * (i.ratingSum / i.reviewsCount - 1)) / 4 : 20);
  const success = round2(ended ? (30 * i.ordersCompleted) / ended : 15);
  const timeliness = round2(i.ordersTaken ? 15 * (1 - Math.min(i.slaBreaches / i.ordersTaken, 1)) : 7.5);
  const response = round2(i.ordersTaken ? 15 * clamp((24 - i.takeHoursSum / i.ordersTaken) / 23, 0, 1) : 7.5);
  return { rating, success, timeliness, response, master: round2(rating + success + timeliness + response) };
}
