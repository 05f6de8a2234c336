import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { createRouter, errors, IdParam, json, secured } from "../../../lib/openapi";
import { GW } from "../permissions";
import { disputeOrder } from "./dispute";
import { customerConfirm, gatewayActorOf, merchantOrder, readBodyWithReceipt } from "./lifecycle";
import { ConfirmBody, DisputeBody, GatewayOrderSchema, receiptPart } from "./lifecycle-schemas";

const tags = ["gateway: orders"];

/** What the merchant does to an order after creating it: its customer's confirmation, disputes. */
export const customerOrderRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/gateway/payin/confirm/{id}",
      tags,
      summary:
        "The customer says they paid an assigned pay-in -> customer_confirmed (optional multipart `receipt`)",
      ...secured(GW.merchantOrders),
      request: {
        params: IdParam,
        body: {
          required: false,
          content: { "application/json": { schema: ConfirmBody }, ...receiptPart({}, []) },
        },
      },
      responses: { 200: json(GatewayOrderSchema), ...errors(401, 403, 404, 409, 413, 415) },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const p = principalOf(c);
      const id = c.req.valid("param").id;
      merchantOrder(ctx.db, p, id);
      const { receipt } = await readBodyWithReceipt(c, ConfirmBody);
      return c.json(await customerConfirm(ctx, p, gatewayActorOf(c), id, receipt), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/gateway/orders/{id}/dispute",
      tags,
      summary:
        "Dispute a cancelled or expired pay-in -> disputed (JSON `{reason}`, or multipart `reason` with an optional `receipt`)",
      ...secured(GW.merchantOrders),
      request: {
        params: IdParam,
        // Not `required`: that would check a multipart body as JSON; the handler checks either.
        body: {
          required: false,
          content: {
            "application/json": { schema: DisputeBody },
            ...receiptPart({ reason: { type: "string", maxLength: 1000 } }, ["reason"]),
          },
        },
      },
      responses: { 200: json(GatewayOrderSchema), ...errors(401, 403, 404, 409, 413, 415) },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const p = principalOf(c);
      const id = c.req.valid("param").id;
      merchantOrder(ctx.db, p, id);
      const { body, receipt } = await readBodyWithReceipt(c, DisputeBody);
      return c.json(await disputeOrder(ctx, p, gatewayActorOf(c), id, body.reason, receipt), 200);
    },
  );
