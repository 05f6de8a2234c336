import type { AppContext } from "../../context";
import { prepare, preparedPer } from "../../db/prepared";
import { notFound } from "../../lib/errors";
import { mean2, percent } from "./period";

const perCourse = (where: string) =>
  `SELECT c.id, c.title, count(e.id) AS enrollments, coalesce(sum(e.progress), 0) AS progress_sum,
      count(CASE WHEN e.status = 'completed' THEN 1 END) AS completed, count(e.rating) AS rated,
      coalesce(sum(e.rating), 0) AS rating_sum
    FROM courses c LEFT JOIN course_enrollments e ON e.course_id = c.id ${where}
    GROUP BY c.id ORDER BY enrollments DESC, c.id`;

export const COURSES_SQL = {
  all: perCourse(""),
  one: perCourse("WHERE c.id = ?1"),
} as const;

type Row = {
  id: number;
  title: string;
  enrollments: number;
  progress_sum: number;
  completed: number;
  rated: number;
  rating_sum: number;
};
const stmts = preparedPer((db) => ({
  all: prepare<Row>(db, COURSES_SQL.all),
  one: prepare<Row, [number]>(db, COURSES_SQL.one),
}));

const figuresOf = (r: Row) => ({
  course_id: r.id,
  course_title: r.title,
  enrollments: r.enrollments,
  avg_progress: mean2(r.progress_sum, r.enrollments, 0),
  completed: r.completed,
  completion_rate: percent(r.completed, r.enrollments),
  avg_rating: mean2(r.rating_sum, r.rated, null),
});

export type CourseFigures = ReturnType<typeof figuresOf>;

/** Every course (drafts and archived ones too), most enrolled first. */
export const allCourseAnalytics = (ctx: AppContext) => ({ courses: stmts(ctx.db).all.all().map(figuresOf) });

/** One course's figures; 404 for a course that does not exist. */
export function courseAnalytics(ctx: AppContext, courseId: number): CourseFigures {
  const r = stmts(ctx.db).one.get(courseId);
  if (!r) throw notFound("course");
  return figuresOf(r);
}
