import type { AppContext } from "../../../context";

/** The health body of /healthz and /api/health: the database answers a trivial query. */
export function health(ctx: AppContext) {
  let db = "ok";
  try {
    ctx.sqlite.query("SELECT 1").get();
  } catch {
    db = "error";
  }
  return { status: db === "ok" ? "ok" : "degraded", db, time: new Date(ctx.clock.now()).toISOString() };
}
