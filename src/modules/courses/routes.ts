import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../lib/pagination";
import { MP } from "../marketplace/permissions";
import {
  CourseCreateBody,
  CourseListQuery,
  CoursePatchBody,
  CourseSchema,
  EnrollmentSchema,
  LearnerSchema,
  MyCoursesQuery,
  ProgressBody,
  RateBody,
} from "./schemas";
import {
  archiveCourse,
  createCourse,
  enroll,
  getCourse,
  listCourseEnrollments,
  listCourses,
  listMyCourses,
  listMyEnrollments,
  publishCourse,
  rateCourse,
  recordProgress,
  updateCourse,
} from "./service";

const TAGS = ["courses"];

/**
 * Courses (seed 004): experts create and publish them, learners enroll (paid ones from the
 * wallet), report progress and rate. Static paths come before `/courses/{id}` so `mine` and
 * `enrollments` are never read as an id.
 */
export const courseRoutes = createRouter()
  // ---------- static paths first ----------
  .openapi(
    createRoute({
      method: "get",
      path: "/courses",
      tags: TAGS,
      summary: "Published courses (public), newest first, with enrollment counts and ratings",
      request: { query: PageQuery.extend(CourseListQuery.shape) },
      responses: { 200: json(pageSchema(CourseSchema)), ...errors() },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listCourses(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses",
      tags: TAGS,
      summary: "Create a course (a draft until published)",
      ...secured(MP.expertCourses),
      request: jsonBody(CourseCreateBody),
      responses: { 201: json(CourseSchema, "Created"), ...errors(401, 403) },
    }),
    (c) => c.json(createCourse(c.get("ctx"), principalOf(c).user.id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/courses/mine",
      tags: TAGS,
      summary: "The expert's own courses in every status, with enrollment counts",
      ...secured(MP.expertCourses),
      request: { query: PageQuery.extend(MyCoursesQuery.shape) },
      responses: { 200: json(pageSchema(CourseSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listMyCourses(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/courses/enrollments/mine",
      tags: TAGS,
      summary: "The caller's enrollments with course title, progress and status",
      ...secured(MP.coursesRead),
      request: { query: PageQuery },
      responses: { 200: json(pageSchema(EnrollmentSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listMyEnrollments(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  // ---------- one course ----------
  .openapi(
    createRoute({
      method: "get",
      path: "/courses/{id}",
      tags: TAGS,
      summary: "A course: published ones to anyone, drafts and archived ones to the owner and staff",
      request: { params: IdParam },
      responses: { 200: json(CourseSchema), ...errors(404) },
    }),
    (c) => c.json(getCourse(c.get("ctx"), c.get("principal"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/courses/{id}",
      tags: TAGS,
      summary: "Change a course (owner); price and currency are frozen once anyone enrolled",
      ...secured(MP.expertCourses),
      request: { params: IdParam, ...jsonBody(CoursePatchBody) },
      responses: { 200: json(CourseSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        updateCourse(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/publish",
      tags: TAGS,
      summary: "draft -> published (owner)",
      ...secured(MP.expertCourses),
      request: { params: IdParam },
      responses: { 200: json(CourseSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(publishCourse(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/archive",
      tags: TAGS,
      summary: "draft | published -> archived (owner); enrolled learners keep access",
      ...secured(MP.expertCourses),
      request: { params: IdParam },
      responses: { 200: json(CourseSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(archiveCourse(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/courses/{id}/enrollments",
      tags: TAGS,
      summary: "The course's learners and their progress (owner, or staff with courses:read_any)",
      ...secured(MP.coursesRead),
      request: { params: IdParam, query: PageQuery },
      responses: { 200: json(pageSchema(LearnerSchema)), ...errors(401, 403, 404) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listCourseEnrollments(
        c.get("ctx"),
        principalOf(c),
        c.req.valid("param").id,
        q,
      );
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/enroll",
      tags: TAGS,
      summary: "Enroll; a paid course is paid from the wallet at once (402 insufficient_funds)",
      ...secured(MP.coursesWrite),
      request: { params: IdParam },
      responses: { 201: json(EnrollmentSchema, "Enrolled"), ...errors(401, 402, 403, 404, 409) },
    }),
    (c) => c.json(enroll(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/progress",
      tags: TAGS,
      summary: "Report progress (never backwards; 100 completes the enrollment)",
      ...secured(MP.coursesWrite),
      request: { params: IdParam, ...jsonBody(ProgressBody) },
      responses: { 200: json(EnrollmentSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        recordProgress(
          c.get("ctx"),
          principalOf(c).user.id,
          c.req.valid("param").id,
          c.req.valid("json").progress,
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/courses/{id}/rate",
      tags: TAGS,
      summary: "Rate the course once (enrolled learners only)",
      ...secured(MP.coursesWrite),
      request: { params: IdParam, ...jsonBody(RateBody) },
      responses: { 200: json(EnrollmentSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        rateCourse(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id, c.req.valid("json")),
        200,
      ),
  );
