import { describe, expect, test } from "bun:test";
import { COURSES_SQL } from "../../src/modules/analytics/courses";
import { ENGAGEMENT_SQL } from "../../src/modules/analytics/engagement";
import { GROWTH_SQL } from "../../src/modules/analytics/growth";
import { PLATFORM_SQL } from "../../src/modules/analytics/platform";
import { REVENUE_SQL } from "../../src/modules/analytics/revenue";
import { SESSIONS_SQL } from "../../src/modules/analytics/sessions";
import { makeTestApp } from "../helpers/app";

const t = makeTestApp();

/** EXPLAIN QUERY PLAN of a query on the migrated schema, one line per step. */
function plan(sql: string, app = t): string {
  const params = Math.max(0, ...[...sql.matchAll(/\?(\d)/g)].map((m) => Number(m[1])));
  const rows = app.ctx.sqlite.query(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(params).fill(1)) as {
    detail: string;
  }[];
  return rows.map((r) => r.detail).join("\n");
}

/** Queries whose every step is an index search (never a table scan), with the index they must use. */
const SEARCHES: [string, string, string][] = [
  ["growth.signups", GROWTH_SQL.signups, "SEARCH users USING COVERING INDEX users_created_idx"],
  [
    "revenue.earned",
    REVENUE_SQL.earned,
    "SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_credit_created_idx",
  ],
  [
    "revenue.refunded",
    REVENUE_SQL.refunded,
    "SEARCH ledger_transfers USING COVERING INDEX ledger_transfers_debit_created_idx",
  ],
  ["courses.one", COURSES_SQL.one, "SEARCH e USING COVERING INDEX course_enrollments_course_stats_idx"],
  ["engagement.user", ENGAGEMENT_SQL.user, "SEARCH users USING INTEGER PRIMARY KEY"],
  ["engagement.orders", ENGAGEMENT_SQL.orders, "SEARCH orders USING INDEX orders_client_created_idx"],
  [
    "engagement.enrollments",
    ENGAGEMENT_SQL.enrollments,
    "SEARCH course_enrollments USING INDEX course_enrollments_user_idx",
  ],
  ["engagement.reviews", ENGAGEMENT_SQL.reviews, "SEARCH reviews USING INDEX reviews_author_idx"],
];

describe("query plans on the migrated schema", () => {
  for (const [name, sql, step] of SEARCHES) {
    test(`${name}: ${step}`, () => {
      const p = plan(sql);
      expect(p).toContain(step);
      expect(p).not.toMatch(/^SCAN (?!c$)/m);
    });
  }

  test("platform counts: roles and course statuses from covering indexes; the rest scan small or index-less tables", () => {
    expect(plan(PLATFORM_SQL.roles)).toBe("SCAN users USING COVERING INDEX users_role_created_idx");
    expect(plan(PLATFORM_SQL.courses)).toBe("SCAN courses USING COVERING INDEX courses_status_published_idx");
    expect(plan(PLATFORM_SQL.verified)).toContain("users_verified_idx");
    expect(plan(PLATFORM_SQL.reviews)).toContain("COVERING INDEX");
    // Every course with its enrollments through the (course_id, user_id) index.
    expect(plan(COURSES_SQL.all)).toContain(
      "SEARCH e USING COVERING INDEX course_enrollments_course_stats_idx (course_id=?)",
    );
  });

  test("session figures never touch the table, and the top experts need no sort to group", () => {
    const covering = "USING COVERING INDEX orders_kind_status_expert_idx";
    // The period is filtered inside each status's range (expert_id comes before created_at).
    expect(plan(SESSIONS_SQL.oneStatus)).toBe(`SEARCH orders ${covering} (kind=? AND status=?)`);
    expect(plan(SESSIONS_SQL.topMentors)).toContain(
      `SEARCH orders ${covering} (kind=? AND status=? AND expert_id>?)`,
    );
    expect(plan(SESSIONS_SQL.topMentors)).not.toContain("FOR GROUP BY");
    expect(plan(PLATFORM_SQL.sessions)).toBe(`SEARCH orders ${covering} (kind=?)`);
  });
});
