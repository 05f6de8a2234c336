import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../../lib/openapi";
import { PageQuery, page, pageSchema } from "../../../lib/pagination";
import {
  listNotifications,
  markRead,
  NotificationSchema,
  NotificationsQuery,
} from "../../platform/notifications/routes";
import { serializeOrder } from "../orders/access";
import { OrderSchema } from "../orders/schemas";
import { takeOrder } from "../orders/service";
import { MP } from "../permissions";
import { ExpertReviewPage, ExpertReviewsQuery } from "../reviews/schemas";
import { listExpertReviews } from "../reviews/service";
import {
  AvailableOrderSchema,
  AvailableOrdersQuery,
  CurrencyQuery,
  ExpertProfileSchema,
  ExpertStatisticsSchema,
  FinancialSummarySchema,
  HomeDashboardSchema,
  OrderPageSchema,
  TakeOrderBody,
  TransactionSchema,
  TransactionsQuery,
} from "./schemas";
import {
  activeOrders,
  availableOrders,
  expertProfile,
  expertStatistics,
  expertTransactions,
  financialSummary,
  homeDashboard,
  recentOrders,
} from "./service";

const BASE = "/experts/dashboard";
const tags = ["expert dashboard"];
const expert = secured(MP.expertDashboard);

const NotificationPage = pageSchema(NotificationSchema).extend({ unread_count: z.number().int() });

/** Seed 000's expert dashboard (eleven endpoints) and seed 001's role-aware /dashboard. */
export const dashboardRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/dashboard",
      tags: ["dashboard"],
      summary: "Role-aware counts: a client's orders and wallet, an expert's work, staff the platform",
      ...secured("me:read"),
      request: { query: CurrencyQuery },
      responses: { 200: json(HomeDashboardSchema), ...errors(401, 403) },
    }),
    (c) => c.json(homeDashboard(c.get("ctx"), principalOf(c).user, c.req.valid("query").currency), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/statistics`,
      tags,
      summary: "Earnings, order counts, rating, success rate and response time",
      ...expert,
      request: { query: CurrencyQuery },
      responses: { 200: json(ExpertStatisticsSchema), ...errors(401, 403) },
    }),
    (c) => c.json(expertStatistics(c.get("ctx"), principalOf(c).user.id, c.req.valid("query").currency), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/profile`,
      tags,
      summary: "The expert's profile, specializations, documents and rating",
      ...expert,
      responses: { 200: json(ExpertProfileSchema), ...errors(401, 403) },
    }),
    (c) => c.json(expertProfile(c.get("ctx"), principalOf(c).user.id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/active-orders`,
      tags,
      summary: "The expert's orders being worked on, newest first",
      ...expert,
      request: { query: PageQuery },
      responses: { 200: json(OrderPageSchema), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = activeOrders(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/recent-orders`,
      tags,
      summary: "The expert's finished orders, most recently changed first",
      ...expert,
      request: { query: PageQuery },
      responses: { 200: json(OrderPageSchema), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = recentOrders(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/available-orders`,
      tags,
      summary: "New orders in the expert's verified subjects, newest first (two SQL statements)",
      ...expert,
      request: { query: AvailableOrdersQuery },
      responses: { 200: json(pageSchema(AvailableOrderSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = availableOrders(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${BASE}/take-order`,
      tags,
      summary: "Take a new order (needs a verified specialization in its subject)",
      ...expert,
      request: jsonBody(TakeOrderBody),
      responses: { 200: json(OrderSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) => c.json(serializeOrder(takeOrder(c.get("ctx"), principalOf(c), c.req.valid("json").order_id)), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/financial-summary`,
      tags,
      summary: "Balances, earnings, money still in escrow and the last payout",
      ...expert,
      request: { query: CurrencyQuery },
      responses: { 200: json(FinancialSummarySchema), ...errors(401, 403) },
    }),
    (c) => c.json(financialSummary(c.get("ctx"), principalOf(c).user.id, c.req.valid("query").currency), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/transactions`,
      tags,
      summary: "Ledger transfers of the expert's accounts, newest first",
      ...expert,
      request: { query: TransactionsQuery },
      responses: { 200: json(pageSchema(TransactionSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = expertTransactions(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/reviews`,
      tags,
      summary: "Published client reviews of the expert with the rating distribution",
      ...expert,
      request: { query: ExpertReviewsQuery },
      responses: { 200: json(ExpertReviewPage), ...errors(401, 403) },
    }),
    (c) =>
      c.json(
        listExpertReviews(c.get("ctx").db, principalOf(c).user.id, c.req.valid("query"), c.req.url),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${BASE}/notifications`,
      tags,
      summary: "The expert's notifications, newest first, with the unread count",
      ...expert,
      request: { query: NotificationsQuery },
      responses: { 200: json(NotificationPage), ...errors(401, 403) },
    }),
    (c) =>
      c.json(listNotifications(c.get("ctx"), principalOf(c).user.id, c.req.url, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${BASE}/notifications/{id}/read`,
      tags,
      summary: "Mark one of the expert's notifications read",
      ...expert,
      request: { params: IdParam },
      responses: {
        200: json(z.object({ success: z.boolean(), message: z.string() })),
        ...errors(401, 403, 404),
      },
    }),
    (c) => {
      markRead(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id);
      return c.json({ success: true, message: "notification marked as read" }, 200);
    },
  );
