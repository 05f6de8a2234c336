import type { JobSpec } from "../../platform/jobs/queue";

export const GATEWAY_RETRY_JOB = "gateway.order.retry";

/** Another selection attempt for a `retrying` order. */
export const retryGatewayOrderJob: JobSpec = { run: async () => {} };
