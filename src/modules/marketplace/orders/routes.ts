import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { files } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import type { AppEnv } from "../../../http/types";
import { notFound } from "../../../lib/errors";
import { fileResponse, multipartBody, readUpload } from "../../../lib/files";
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
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { AvailableOrderSchema, AvailableOrdersQuery } from "../dashboard/schemas";
import { availableOrders } from "../dashboard/service";
import { MP } from "../permissions";
import { orderFor, serializeOrder } from "./access";
import {
  acceptOrder,
  cancelOrder,
  completeOrder,
  confirmPayment,
  declineOrder,
  disputeOrder,
  markPaid,
  payOrder,
  requestRevision,
  resolveDispute,
  setPrice,
  startOrder,
  uploadPaymentProof,
} from "./actions";
import {
  DisputeBody,
  MarkPaidBody,
  OrderCreateBody,
  OrderDetailSchema,
  OrderListQuery,
  OrderSchema,
  ReasonBody,
  ResolveBody,
  SetPriceBody,
  TakeBody,
  TimelineSchema,
} from "./schemas";
import {
  createOrder,
  listActiveOrders,
  listMyOrders,
  orderDetail,
  orderTimeline,
  takeOrder,
} from "./service";
import { actorOrder } from "./transition";

const tags = ["orders"];
const OrderPage = pageSchema(OrderSchema);

const listRoute = <Q extends z.ZodObject, R extends z.ZodType = typeof OrderPage>(
  path: string,
  summary: string,
  permission: string,
  query: Q,
  response: R = OrderPage as unknown as R,
) =>
  createRoute({
    method: "get",
    path,
    tags,
    summary,
    ...secured(permission),
    request: { query },
    responses: { 200: json(response), ...errors(401, 403) },
  });

/** A POST on one order that answers with the order; `body` is optional unless `required`. */
const actionRoute = <T extends z.ZodType>(
  path: string,
  summary: string,
  body: T,
  opts: { required?: boolean; permission?: string; extra?: number[] } = {},
) =>
  createRoute({
    method: "post",
    path: `/orders/{id}/${path}`,
    tags,
    summary,
    ...(opts.required
      ? secured(opts.permission ?? MP.ordersWrite)
      : secured(opts.permission ?? MP.ordersWrite)),
    request: { params: IdParam, ...(opts.required ? jsonBody(body) : optionalJsonBody(body)) },
    responses: { 200: json(OrderSchema), ...errors(401, 403, 404, 409, ...(opts.extra ?? [])) },
  });

const id = (c: Context<AppEnv>) => Number(c.req.param("id"));
const ok = (c: Context<AppEnv>, o: Parameters<typeof serializeOrder>[0]) => c.json(serializeOrder(o), 200);

/**
 * Orders (seed 000) and appointments (seed 001): one entity and one state machine (DESIGN.md §5).
 * `/api/appointments/*` reaches these routes through the path aliases in app.ts.
 */
export const orderRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/orders",
      tags,
      summary: "Create an order (kind work) or appointment (kind session)",
      ...secured(MP.ordersWrite),
      request: jsonBody(OrderCreateBody),
      responses: { 201: json(OrderSchema, "Created"), ...errors(401, 403) },
    }),
    (c) => c.json(serializeOrder(createOrder(c.get("ctx"), principalOf(c), c.req.valid("json"))), 201),
  )
  // Static paths before /orders/{id}: seed 001's /appointments/my, /new and /active.
  .openapi(
    listRoute("/orders", "Your orders as client or expert, newest first", MP.ordersRead, OrderListQuery),
    (c) => {
      const q = c.req.valid("query");
      const { total, rows } = listMyOrders(c.get("ctx"), principalOf(c), q);
      return c.json(page(c.req.url, q, total, rows.map(serializeOrder)), 200);
    },
  )
  .openapi(
    listRoute(
      "/orders/my",
      "Your orders (compatibility path: /appointments/my)",
      MP.ordersRead,
      OrderListQuery,
    ),
    (c) => {
      const q = c.req.valid("query");
      const { total, rows } = listMyOrders(c.get("ctx"), principalOf(c), q);
      return c.json(page(c.req.url, q, total, rows.map(serializeOrder)), 200);
    },
  )
  .openapi(
    listRoute("/orders/active", "Your orders that are under way", MP.ordersRead, OrderListQuery),
    (c) => {
      const q = c.req.valid("query");
      const { total, rows } = listActiveOrders(c.get("ctx"), principalOf(c), q);
      return c.json(page(c.req.url, q, total, rows.map(serializeOrder)), 200);
    },
  )
  .openapi(
    listRoute(
      "/orders/new",
      "New orders in your verified subjects (experts)",
      MP.expertOrders,
      AvailableOrdersQuery,
      pageSchema(AvailableOrderSchema),
    ),
    // The dashboard's available-orders under seed 001's name: one query, one set of rules.
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = availableOrders(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}",
      tags,
      summary: "One order: its client, its expert, staff, or an expert who may take it",
      ...secured(MP.ordersRead),
      request: { params: IdParam },
      responses: { 200: json(OrderDetailSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(orderDetail(c.get("ctx"), principalOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/events",
      tags,
      summary: "The order's timeline, oldest first",
      ...secured(MP.ordersRead),
      request: { params: IdParam },
      responses: { 200: json(TimelineSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const { order } = orderFor(c.get("ctx"), principalOf(c), c.req.valid("param").id);
      return c.json({ results: orderTimeline(c.get("ctx").db, order.id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/orders/{id}/payment-proof",
      tags,
      summary: "Download the payment proof (the order's parties and staff)",
      ...secured(MP.ordersRead),
      request: { params: IdParam },
      responses: {
        200: { description: "The file", content: { "application/octet-stream": { schema: z.any() } } },
        ...errors(401, 403, 404),
      },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const { order } = orderFor(ctx, principalOf(c), c.req.valid("param").id);
      const f = order.paymentProofFileId
        ? ctx.db.select().from(files).where(eq(files.id, order.paymentProofFileId)).get()
        : undefined;
      if (!f) throw notFound("payment proof");
      return fileResponse(ctx, f);
    },
  )
  .openapi(
    actionRoute("take", "Take a new order (expert with a verified specialization)", TakeBody, {
      permission: MP.expertOrders,
    }),
    (c) => ok(c, takeOrder(c.get("ctx"), principalOf(c), id(c))),
  )
  .openapi(
    actionRoute("set-price", "Quote a price: in_review -> awaiting_payment", SetPriceBody, {
      required: true,
    }),
    (c) => ok(c, setPrice(c.get("ctx"), principalOf(c), id(c), c.req.valid("json").price)),
  )
  .openapi(actionRoute("pay", "Pay from the wallet into escrow -> paid", TakeBody, { extra: [402] }), (c) =>
    ok(c, payOrder(c.get("ctx"), principalOf(c), id(c))),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/orders/{id}/upload-payment-proof",
      tags,
      summary: "Upload proof of a manual transfer (multipart `file`: PDF, PNG, JPEG or WebP)",
      ...secured(MP.ordersWrite),
      request: { params: IdParam, ...multipartBody() },
      responses: { 200: json(OrderSchema), ...errors(401, 403, 404, 409, 413, 415) },
    }),
    async (c) => {
      const p = principalOf(c);
      const orderId = c.req.valid("param").id;
      // Refuse strangers and the wrong party before reading their bytes.
      actorOrder(c.get("ctx"), p, orderId, "upload_payment_proof");
      return ok(c, await uploadPaymentProof(c.get("ctx"), p, orderId, await readUpload(c)));
    },
  )
  .openapi(
    actionRoute("mark-paid", "Say a manual transfer was sent -> payment_proof_uploaded", MarkPaidBody),
    (c) => ok(c, markPaid(c.get("ctx"), principalOf(c), id(c), c.req.valid("json")?.note)),
  )
  .openapi(
    actionRoute("confirm-payment", "Confirm a manual payment -> paid (its expert or an admin)", TakeBody),
    (c) => ok(c, confirmPayment(c.get("ctx"), principalOf(c), actorOf(c), id(c))),
  )
  .openapi(actionRoute("start", "Start work: paid or revision -> in_progress", TakeBody), (c) =>
    ok(c, startOrder(c.get("ctx"), principalOf(c), id(c))),
  )
  .openapi(actionRoute("complete", "Finish: escrow -> delivered, manual -> completed", TakeBody), (c) =>
    ok(c, completeOrder(c.get("ctx"), principalOf(c), id(c))),
  )
  .openapi(actionRoute("accept", "Accept the delivery: release escrow -> completed", TakeBody), (c) =>
    ok(c, acceptOrder(c.get("ctx"), principalOf(c), id(c))),
  )
  .openapi(actionRoute("request-revision", "Ask for changes: delivered -> revision", ReasonBody), (c) =>
    ok(c, requestRevision(c.get("ctx"), principalOf(c), id(c), c.req.valid("json")?.reason)),
  )
  .openapi(actionRoute("decline", "Decline the order (its expert)", ReasonBody), (c) =>
    ok(c, declineOrder(c.get("ctx"), principalOf(c), id(c), c.req.valid("json")?.reason)),
  )
  .openapi(
    actionRoute("cancel", "Cancel before payment (its client); escrow, if any, returns", ReasonBody),
    (c) => ok(c, cancelOrder(c.get("ctx"), principalOf(c), id(c), c.req.valid("json")?.reason)),
  )
  .openapi(actionRoute("dispute", "Open a dispute (either party)", DisputeBody, { required: true }), (c) =>
    ok(c, disputeOrder(c.get("ctx"), principalOf(c), id(c), c.req.valid("json").reason)),
  )
  .openapi(
    actionRoute("resolve", "Resolve a dispute: refund, release or split (arbitrator or admin)", ResolveBody, {
      required: true,
      permission: MP.disputesResolve,
    }),
    (c) => ok(c, resolveDispute(c.get("ctx"), principalOf(c), actorOf(c), id(c), c.req.valid("json"))),
  );
