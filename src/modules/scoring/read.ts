import type { Queryable } from "../../db/client";
import { prepare, preparedPer } from "../../db/prepared";
import { iso, isoOrNull } from "../../lib/time";
import type { RiskLevel } from "./formulas";

/** The stored scores as the API shows them: reads for other modules (they never compute scores). */

export type ClientRisk = {
  risk_score: number | null;
  risk_level: RiskLevel | null;
  risk_updated_at: string | null;
};

export type MasterScore = {
  master_score: number | null;
  score_components: { rating: number; success: number; timeliness: number; response: number } | null;
  score_updated_at: string | null;
};

type RiskRow = { user_id: number; risk_score: number; risk_level: RiskLevel; updated_at: number };
type ScoreRow = {
  master_score: number;
  rating_score: number;
  success_score: number;
  timeliness_score: number;
  response_score: number;
  updated_at: number;
};

const stmts = preparedPer((db) => ({
  risk: prepare<RiskRow, [number]>(
    db,
    "SELECT user_id, risk_score, risk_level, updated_at FROM client_stats WHERE user_id = ?",
  ),
  // One statement for any number of ids: they travel as one JSON array.
  risks: prepare<RiskRow, [string]>(
    db,
    `SELECT user_id, risk_score, risk_level, updated_at FROM client_stats
     WHERE user_id IN (SELECT value FROM json_each(?))`,
  ),
  score: prepare<ScoreRow, [number]>(
    db,
    `SELECT master_score, rating_score, success_score, timeliness_score, response_score, updated_at
     FROM expert_stats WHERE user_id = ?`,
  ),
}));

export const NO_RISK: ClientRisk = { risk_score: null, risk_level: null, risk_updated_at: null };

const riskOf = (r: RiskRow | null | undefined): ClientRisk =>
  r ? { risk_score: r.risk_score, risk_level: r.risk_level, risk_updated_at: iso(r.updated_at) } : NO_RISK;

export const clientRiskOf = (db: Queryable, userId: number): ClientRisk => riskOf(stmts(db).risk.get(userId));

/** The risk of each listed user (one query for a page of users). */
export function clientRisksOf(db: Queryable, ids: readonly number[]): Map<number, ClientRisk> {
  const out = new Map<number, ClientRisk>();
  if (!ids.length) return out;
  for (const r of stmts(db).risks.all(JSON.stringify(ids))) out.set(r.user_id, riskOf(r));
  return out;
}

/** An expert_stats row (or the same columns from a join) in the API's shape; all null without one. */
export function masterScoreOf(r: Partial<ScoreRow> | null | undefined): MasterScore {
  if (r?.master_score == null) return { master_score: null, score_components: null, score_updated_at: null };
  return {
    master_score: r.master_score,
    score_components: {
      rating: r.rating_score!,
      success: r.success_score!,
      timeliness: r.timeliness_score!,
      response: r.response_score!,
    },
    score_updated_at: isoOrNull(r.updated_at),
  };
}

export const expertScoreOf = (db: Queryable, userId: number): MasterScore =>
  masterScoreOf(stmts(db).score.get(userId));
