import type { AppContext } from "../../../context";

/** The health body of /healthz and /api/health: the database answers a trivial query. */
export function health(ctx: AppContext) {
  let db = "ok";
  try {
    ctx.sqlite.query("SELECT 1").get();
    // A libSQL replica answers from its own file: ask the server too.
    ctx.replica?.sync();
  } catch {
    db = "error";
  }
  return { status: db === "ok" ? "ok" : "degraded", db, time: new Date(ctx.clock.now()).toISOString() };
}
