import { z } from "@hono/zod-openapi";
import { RISK_LEVELS } from "./formulas";

/** The client risk fields other modules add to their user and order shapes. */
export const RiskFields = {
  risk_score: z.number().nullable().openapi({
    description:
      "Client risk, 0-100 with 2 decimals (higher is riskier); null until the account's risk was first computed",
    example: 25,
  }),
  risk_level: z.enum(RISK_LEVELS).nullable().openapi({
    description: "low (under 25), medium (under 50), high (under 75) or critical",
    example: "medium",
  }),
  risk_updated_at: z.string().nullable().openapi({ description: "When the risk was last computed" }),
};

export const ClientRiskSchema = z.object(RiskFields).openapi("ClientRisk");

export const ScoreComponentsSchema = z
  .object({
    rating: z.number().openapi({ description: "0-40: the average rating from clients (20 with no reviews)" }),
    success: z.number().openapi({
      description: "0-30: completed orders among those that ended completed or cancelled (15 with none)",
    }),
    timeliness: z.number().openapi({
      description: "0-15: taken orders that did not pass their deadline (7.5 with none)",
    }),
    response: z.number().openapi({
      description:
        "0-15: how soon orders are taken after they are placed, full within 1 h, 0 from 24 h (7.5 with none)",
    }),
  })
  .openapi("ScoreComponents");

/** The expert score fields of the dashboard statistics and the staff list of experts. */
export const MasterScoreFields = {
  master_score: z.number().nullable().openapi({
    description:
      "Expert score, 0-100 with 2 decimals: the sum of score_components; null until first computed",
    example: 50,
  }),
  score_components: ScoreComponentsSchema.nullable(),
  score_updated_at: z.string().nullable().openapi({ description: "When the score was last computed" }),
};
