import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../../lib/openapi";
import { MP } from "../permissions";
import {
  ClientReviewBody,
  ExpertReviewBody,
  ExpertReviewsQuery,
  PublicExpertReviewPage,
  ReviewSchema,
} from "./schemas";
import { listOrderReviews, publicExpertReviews, reviewClient, reviewExpert } from "./service";

const tags = ["reviews"];

const expertReviewsRoute = createRoute({
  method: "get",
  path: "/experts/{id}/reviews",
  tags,
  summary: "An expert's published reviews with average and distribution (public)",
  description: "Rating, comment and date of each review; the order and the client are not shown.",
  request: { params: IdParam, query: ExpertReviewsQuery },
  responses: { 200: json(PublicExpertReviewPage), ...errors(404) },
});

/** Two-way reviews of completed orders (seed 001) and an expert's public reviews (seed 000). */
export const reviewRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/review-master",
      tags,
      summary: "The client rates the expert of a completed order (once)",
      ...secured(MP.reviewsWrite),
      request: { params: IdParam, ...jsonBody(ExpertReviewBody) },
      responses: { 201: json(ReviewSchema, "Created"), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(reviewExpert(c.get("ctx"), principalOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/review-client",
      tags,
      summary: "The expert rates the client of a completed order, with behaviour flags (once)",
      ...secured(MP.reviewsWrite),
      request: { params: IdParam, ...jsonBody(ClientReviewBody) },
      responses: { 201: json(ReviewSchema, "Created"), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(reviewClient(c.get("ctx"), principalOf(c), c.req.valid("param").id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/reviews",
      tags,
      summary: "Both reviews of an order (participants and staff)",
      ...secured(MP.reviewsRead),
      request: { params: IdParam },
      responses: { 200: json(z.object({ results: z.array(ReviewSchema) })), ...errors(401, 403, 404) },
    }),
    (c) => c.json(listOrderReviews(c.get("ctx"), principalOf(c), c.req.valid("param").id), 200),
  )
  // Routed as `/experts/:id{[0-9]+}/reviews` (numeric ids only) so that the dashboard's
  // `/experts/dashboard/reviews`, mounted after this router, never lands here; documented below
  // under the plain path.
  .openapi({ ...expertReviewsRoute, path: "/experts/{id{[0-9]+}}/reviews", hide: true }, (c) =>
    c.json(publicExpertReviews(c.get("ctx"), c.req.valid("param").id, c.req.valid("query"), c.req.url), 200),
  );

reviewRoutes.openAPIRegistry.registerPath(expertReviewsRoute);
