import type { AppContext } from "../../../context";
import { write } from "../../../db/write";
import type { JobHandler } from "../../platform/jobs/queue";
import { assignOrRetry } from "./assign";
import { findGatewayOrder } from "./status";

export const GATEWAY_RETRY_JOB = "gateway.order.retry";

/**
 * Another selection attempt for a `retrying` order (`{order_id}`), in one synchronous transaction:
 * assigned, or the next attempt enqueued with its backoff, or failed when attempts ran out. An
 * order that left `retrying` meanwhile (cancelled, assigned by an earlier job) is left alone.
 */
export function retryGatewayOrder(ctx: AppContext, orderId: number): { status: string } | null {
  return write(ctx, (tx) => {
    const o = findGatewayOrder(tx, orderId);
    if (o?.status !== "retrying") return null;
    return { status: assignOrRetry(ctx, tx, o, { id: null }).status };
  });
}

export const retryGatewayOrderJob: JobHandler = async (ctx, payload) => {
  const id = Number(payload.order_id);
  if (Number.isSafeInteger(id) && id > 0) retryGatewayOrder(ctx, id);
};
