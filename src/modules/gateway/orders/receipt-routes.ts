import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { files } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import { notFound } from "../../../lib/errors";
import { fileResponse } from "../../../lib/files";
import { createRouter, errors, secured } from "../../../lib/openapi";
import { GW } from "../permissions";
import { readableOrder } from "./access";
import { RECEIPT_KINDS, receiptIdOf } from "./serialize";

export const receiptRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/gateway/orders/{id}/receipts/{kind}",
    tags: ["gateway: orders"],
    summary: "Download a receipt of an order (its store's merchant, its trader, support)",
    ...secured(GW.merchantOrders, GW.traderOrders, GW.supportOrders),
    request: {
      params: z.object({
        id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
        kind: z.enum(RECEIPT_KINDS).openapi({
          description:
            "`customer`: sent with the customer's payment confirmation; `trader`: the trader's proof of a pay-out; `dispute`: sent with a dispute. An order lists the kinds it has in `receipts`.",
        }),
      }),
    },
    responses: {
      200: { description: "The file", content: { "application/octet-stream": { schema: z.any() } } },
      ...errors(401, 403, 404),
    },
  }),
  (c) => {
    const ctx = c.get("ctx");
    const { id, kind } = c.req.valid("param");
    const { order } = readableOrder(ctx, principalOf(c), id);
    const fileId = receiptIdOf(order, kind);
    const f = fileId == null ? undefined : ctx.db.select().from(files).where(eq(files.id, fileId)).get();
    if (!f) throw notFound("receipt");
    return fileResponse(ctx, f);
  },
);
