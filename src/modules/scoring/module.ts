import type { createRouter } from "../../lib/openapi";
import { onEmit } from "../platform/events/service";
import type { Schedule } from "../platform/jobs/cron";
import { registerActorFacts } from "../platform/rules/facts";
import { clientRiskOf } from "./read";
import { recomputeScores } from "./recompute";
import { scoringOnEmit } from "./upkeep";

/** What the scoring module adds to the app; modules/index.ts collects it. */
export const SCORING_MODULE = {
  routers: [] as ReturnType<typeof createRouter>[],
  schedules: [
    {
      name: "scores-recompute",
      pattern: "30 0 * * *",
      description:
        "Rebuild every client risk and expert score from orders and reviews (the account-age term of the risk moves with time)",
      run: (ctx) => recomputeScores(ctx),
    },
  ] as Schedule[],
  eventTypes: {
    "scores.recomputed": "Every client risk and expert score was rebuilt from orders and reviews",
  } as Record<string, string>,
  /** Subscribes to events (onEmit) once at startup, before the rules engine: rules read fresh scores. */
  register(): void {
    onEmit(scoringOnEmit);
    // `actor.risk_score` and `actor.risk_level` in rules: the stored risk, missing without one.
    registerActorFacts((db, userId) => {
      const r = clientRiskOf(db, userId);
      return r.risk_score == null ? undefined : { risk_score: r.risk_score, risk_level: r.risk_level };
    });
  },
};
