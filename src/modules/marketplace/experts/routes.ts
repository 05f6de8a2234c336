import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { principalOf } from "../../../http/auth";
import type { AppEnv } from "../../../http/types";
import { validation } from "../../../lib/errors";
import { fileResponse, multipartBody, readUpload, UPLOAD_TYPES } from "../../../lib/files";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
  z,
} from "../../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { MP } from "../permissions";
import {
  AdminApplicationSchema,
  AdminDocumentSchema,
  AdminExpertSchema,
  AdminExpertsQuery,
  AdminSpecializationSchema,
  ApplicationBody,
  ApplicationSchema,
  ApplicationsQuery,
  DocumentSchema,
  DocumentTitle,
  EmptyBody,
  ReasonBody,
  RejectBody,
  SpecializationBody,
  SpecializationSchema,
  VerifiedQuery,
} from "./schemas";
import {
  type Actor,
  activateExpert,
  addSpecialization,
  approveApplication,
  documentFile,
  listApplicationsAdmin,
  listDocumentsAdmin,
  listExpertsAdmin,
  listMyApplications,
  listMyDocuments,
  listMySpecializations,
  listSpecializationsAdmin,
  rejectApplication,
  removeSpecialization,
  submitApplication,
  suspendExpert,
  uploadDocument,
  verifyDocument,
  verifySpecialization,
} from "./service";

const me = (c: Context<AppEnv>): Actor => ({ id: principalOf(c).user.id });

/** Any signed-in user: every role holds me:read (owner checks happen in the verbs). */
const SIGNED_IN = "me:read";

const tags = ["experts"];
const adminTags = ["admin: experts"];

const list = <T extends z.ZodType>(item: T) => json(z.object({ results: z.array(item) }));

/** A staff action on one object, with an optional JSON body (unknown fields are still refused). */
const adminAction = <B extends z.ZodType, R extends z.ZodType>(
  path: string,
  summary: string,
  permission: string,
  body: B,
  result: R,
  extraErrors: number[] = [],
) =>
  createRoute({
    method: "post",
    path,
    tags: adminTags,
    summary,
    ...secured(permission),
    request: { params: IdParam, ...optionalJsonBody(body) },
    responses: { 200: json(result), ...errors(401, 403, 404, ...extraErrors) },
  });

/**
 * Expert applications, documents and specializations (self-service and staff review), and the
 * admin list of experts with activate/suspend (seed 001 "masters": /api/admin/masters/* maps here).
 */
export const expertRoutes = createRouter()
  // ---------- applications ----------
  .openapi(
    createRoute({
      method: "post",
      path: "/experts/applications",
      tags,
      summary: "Apply to become an expert (409 while one is pending or once an expert)",
      ...secured(MP.expertsApply),
      request: optionalJsonBody(ApplicationBody),
      responses: { 201: json(ApplicationSchema, "Created"), ...errors(401, 403, 409) },
    }),
    (c) => c.json(submitApplication(c.get("ctx"), me(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/experts/applications/me",
      tags,
      summary: "The caller's applications, newest first",
      ...secured(SIGNED_IN),
      responses: { 200: list(ApplicationSchema), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listMyApplications(c.get("ctx"), me(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/experts/applications",
      tags: adminTags,
      summary: "Expert applications, newest first, by status",
      ...secured(MP.expertsRead),
      request: { query: PageQuery.extend(ApplicationsQuery.shape) },
      responses: { 200: json(pageSchema(AdminApplicationSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listApplicationsAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    adminAction(
      "/admin/experts/applications/{id}/approve",
      "Approve a pending application: the client becomes an expert (notified)",
      MP.expertsReview,
      EmptyBody,
      ApplicationSchema,
      [409],
    ),
    (c) => c.json(approveApplication(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    adminAction(
      "/admin/experts/applications/{id}/reject",
      "Reject a pending application, with an optional reason (notified)",
      MP.expertsReview,
      RejectBody,
      ApplicationSchema,
      [409],
    ),
    (c) =>
      c.json(
        rejectApplication(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json").reason),
        200,
      ),
  )
  // ---------- documents ----------
  .openapi(
    createRoute({
      method: "post",
      path: "/experts/documents",
      tags,
      summary: "Upload a document (diploma, certificate) for verification",
      ...secured(MP.expertProfile),
      description: `Requires permission \`${MP.expertProfile}\`. Multipart: \`file\` (${UPLOAD_TYPES.join(", ")}, by content) and \`title\`.`,
      request: multipartBody({ title: { type: "string", minLength: 1, maxLength: 200 } }),
      responses: { 201: json(DocumentSchema, "Created"), ...errors(401, 403, 413, 415) },
    }),
    async (c) => {
      const upload = await readUpload(c);
      const title = DocumentTitle.safeParse(upload.fields.title);
      if (!title.success) throw validation("form.title", title.error.issues[0]?.message ?? "invalid title");
      return c.json(await uploadDocument(c.get("ctx"), me(c), upload, title.data), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/experts/documents",
      tags,
      summary: "The caller's documents, newest first",
      ...secured(MP.expertProfile),
      responses: { 200: list(DocumentSchema), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listMyDocuments(c.get("ctx"), me(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/experts/documents/{id}/file",
      tags,
      summary: "Download a document's file (its owner, or staff with experts:read; anyone else 404)",
      ...secured(SIGNED_IN),
      request: { params: IdParam },
      responses: {
        200: {
          description: "The file, as an attachment",
          content: { "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) } },
        },
        ...errors(401, 403, 404),
      },
    }),
    (c) => fileResponse(c.get("ctx"), documentFile(c.get("ctx"), principalOf(c), c.req.valid("param").id)),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/experts/documents",
      tags: adminTags,
      summary: "Expert documents, newest first, by verification",
      ...secured(MP.expertsRead),
      request: { query: PageQuery.extend(VerifiedQuery.shape) },
      responses: { 200: json(pageSchema(AdminDocumentSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listDocumentsAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    adminAction(
      "/admin/experts/documents/{id}/verify",
      "Verify a document (the expert is notified)",
      MP.expertsReview,
      EmptyBody,
      DocumentSchema,
    ),
    (c) => c.json(verifyDocument(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  // ---------- specializations ----------
  .openapi(
    createRoute({
      method: "post",
      path: "/experts/specializations",
      tags,
      summary: "Claim a subject (unverified until staff verify it); the subject must be active",
      ...secured(MP.expertProfile),
      request: jsonBody(SpecializationBody),
      responses: { 201: json(SpecializationSchema, "Created"), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(addSpecialization(c.get("ctx"), me(c), c.req.valid("json").subject_id), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/experts/specializations",
      tags,
      summary: "The caller's specializations, by subject name",
      ...secured(MP.expertProfile),
      responses: { 200: list(SpecializationSchema), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listMySpecializations(c.get("ctx"), me(c)) }, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/experts/specializations/{id}",
      tags,
      summary: "Drop one of the caller's specializations",
      ...secured(MP.expertProfile),
      request: { params: IdParam },
      responses: { 204: { description: "Removed" }, ...errors(401, 403, 404) },
    }),
    (c) => {
      removeSpecialization(c.get("ctx"), me(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/experts/specializations",
      tags: adminTags,
      summary: "Specializations, newest first, by verification",
      ...secured(MP.expertsRead),
      request: { query: PageQuery.extend(VerifiedQuery.shape) },
      responses: { 200: json(pageSchema(AdminSpecializationSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listSpecializationsAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    adminAction(
      "/admin/experts/specializations/{id}/verify",
      "Verify a specialization (the expert may then take its orders; notified)",
      MP.expertsReview,
      EmptyBody,
      SpecializationSchema,
    ),
    (c) => c.json(verifySpecialization(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  // ---------- experts (seed 001 masters) ----------
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/experts",
      tags: adminTags,
      summary: "Experts with profile status, specialization counts, average rating and master score",
      ...secured(MP.expertsRead),
      request: { query: PageQuery.extend(AdminExpertsQuery.shape).strict() },
      responses: { 200: json(pageSchema(AdminExpertSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listExpertsAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    adminAction(
      "/admin/experts/{id}/activate",
      "Re-activate an expert (the expert is notified)",
      MP.expertsManage,
      ReasonBody,
      AdminExpertSchema,
    ),
    (c) =>
      c.json(
        activateExpert(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json").reason),
        200,
      ),
  )
  .openapi(
    adminAction(
      "/admin/experts/{id}/suspend",
      "Suspend an expert: no new orders until re-activated (the expert is notified)",
      MP.expertsManage,
      ReasonBody,
      AdminExpertSchema,
    ),
    (c) =>
      c.json(
        suspendExpert(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json").reason),
        200,
      ),
  );
