import { sendEmail } from "../providers/email";
import { sendTelegramMessage } from "../providers/telegram";
import { adminUserRoutes } from "./accounts/admin-routes";
import { authRoutes } from "./accounts/auth-routes";
import { emailRoutes } from "./accounts/email-routes";
import { EMAIL_TOKEN_JOB, sendEmailTokenJob } from "./accounts/email-tokens";
import { ACCOUNT_EVENT_TYPES } from "./accounts/event-types";
import { meRoutes } from "./accounts/me-routes";
import { permissionRoutes } from "./accounts/permissions-routes";
import { privacyRoutes } from "./accounts/privacy/routes";
import { DAILY_METRICS_MODULE } from "./analytics/daily/module";
import { ANALYTICS_MODULE } from "./analytics/module";
import { billingAdminRoutes } from "./billing/admin-routes";
import { BILLING_EVENT_TYPES } from "./billing/event-types";
import { BILLING_SCHEDULES } from "./billing/notices";
import { packageRoutes } from "./billing/package-routes";
import { usageRoutes } from "./billing/usage-routes";
import { COURSE_EVENT_TYPES } from "./courses/event-types";
import { courseRoutes } from "./courses/routes";
import { GATEWAY_MODULE } from "./gateway/module";
import { ledgerAdminRoutes } from "./ledger/admin-routes";
import { LEDGER_EVENT_TYPES } from "./ledger/event-types";
import { walletRoutes } from "./ledger/wallet-routes";
import { catalogRoutes } from "./marketplace/catalog/routes";
import { chatRoutes } from "./marketplace/chat/routes";
import { dashboardRoutes } from "./marketplace/dashboard/routes";
import { MARKETPLACE_EVENT_TYPES } from "./marketplace/event-types";
import { expertRoutes } from "./marketplace/experts/routes";
import { orderAdminRoutes } from "./marketplace/orders/admin-routes";
import { orderRoutes } from "./marketplace/orders/routes";
import { registerOrderRuleSubject } from "./marketplace/orders/rule-subject";
import { MARKETPLACE_SCHEDULES } from "./marketplace/orders/schedules";
import { reviewRoutes } from "./marketplace/reviews/routes";
import { demoPaymentRoutes } from "./payments/demo-routes";
import { PAYMENT_EVENT_TYPES } from "./payments/event-types";
import { paymentRoutes } from "./payments/routes";
import { criticalErrorRoutes } from "./platform/critical-errors/routes";
import { PLATFORM_EVENT_TYPES } from "./platform/event-types";
import { eventRoutes } from "./platform/events/routes";
import { onEmit } from "./platform/events/service";
import { registerEventTypes } from "./platform/events/types";
import { FLAG_EVENT_TYPES } from "./platform/flags/event-types";
import { flagRoutes } from "./platform/flags/routes";
import { PLATFORM_SCHEDULES, type Schedule } from "./platform/jobs/cron";
import type { JobHandler, JobPump } from "./platform/jobs/queue";
import { closeRevokedStreams } from "./platform/notifications/hub";
import { notificationRoutes } from "./platform/notifications/routes";
import { notificationStreamRoutes } from "./platform/notifications/stream-routes";
import { attentionRoutes } from "./platform/rules/attention-routes";
import { rulesOnEmit } from "./platform/rules/engine";
import { RULE_EVENT_TYPES } from "./platform/rules/event-types";
import { ruleRoutes } from "./platform/rules/routes";
import { platformAdminRoutes } from "./platform/system/admin-routes";
import { backupRoutes } from "./platform/system/backup-routes";
import { BACKUP_SCHEDULES } from "./platform/system/backup-schedule";
import { BACKUP_EVENT_TYPES } from "./platform/system/backup-service";
import { healthRoutes } from "./platform/system/health-routes";
import { runWebhooks } from "./platform/webhooks/deliver";
import { WEBHOOK_EVENT_TYPES } from "./platform/webhooks/event-types";
import { wakeForWebhooks } from "./platform/webhooks/fanout";
import { webhookRoutes } from "./platform/webhooks/routes";
import { SCORING_MODULE } from "./scoring/module";

registerEventTypes("accounts", ACCOUNT_EVENT_TYPES);
registerEventTypes("billing", BILLING_EVENT_TYPES);
registerEventTypes("payments", PAYMENT_EVENT_TYPES);
registerEventTypes("ledger", LEDGER_EVENT_TYPES);
registerEventTypes("marketplace", MARKETPLACE_EVENT_TYPES);
registerEventTypes("courses", COURSE_EVENT_TYPES);
registerEventTypes("platform", PLATFORM_EVENT_TYPES);
registerEventTypes("platform", RULE_EVENT_TYPES);
registerEventTypes("platform", BACKUP_EVENT_TYPES);
registerEventTypes("webhooks", WEBHOOK_EVENT_TYPES);
registerEventTypes("flags", FLAG_EVENT_TYPES);

// Scoring, analytics and the gateway declare their parts in one object each (module.ts).
const LATER_MODULES = {
  scoring: SCORING_MODULE,
  analytics: ANALYTICS_MODULE,
  metrics: DAILY_METRICS_MODULE,
  gateway: GATEWAY_MODULE,
};
for (const [name, m] of Object.entries(LATER_MODULES)) {
  registerEventTypes(name, m.eventTypes);
  m.register();
}

// A committed ban, or a revoked API key, ends the live notification streams it opened.
onEmit(closeRevokedStreams);
// Rules run on each event in its transaction; orders are subjects they can read and move.
registerOrderRuleSubject();
onEmit(rulesOnEmit);
// An event that matches a webhook endpoint's patterns wakes the worker, which fans it out after the commit.
onEmit(wakeForWebhooks);

/** Every schedule of every module: run by croner, listed in status, runnable by admins. */
export const SCHEDULES: Schedule[] = [
  ...PLATFORM_SCHEDULES,
  ...BACKUP_SCHEDULES,
  ...BILLING_SCHEDULES,
  ...MARKETPLACE_SCHEDULES,
  ...Object.values(LATER_MODULES).flatMap((m) => m.schedules),
];

/** Every background job type and its handler. */
export const JOB_HANDLERS: Record<string, JobHandler> = {
  "telegram.send": (ctx, p) => sendTelegramMessage(ctx, Number(p.chat_id), String(p.text)),
  "email.send": (ctx, p) =>
    sendEmail(ctx, { to: String(p.to), subject: String(p.subject), text: String(p.text) }),
  [EMAIL_TOKEN_JOB]: sendEmailTokenJob,
  ...Object.values(LATER_MODULES).reduce<Record<string, JobHandler>>(
    (all, m) => Object.assign(all, "jobs" in m ? m.jobs : {}),
    {},
  ),
};

/** Work the job worker runs that lives in its own tables: webhook deliveries are their own queue. */
export const JOB_PUMPS: JobPump[] = [runWebhooks];

const startedAt = Date.now();

/** Routers mounted under /api/v1 (and so /api). */
export const MODULE_ROUTERS = [
  healthRoutes,
  authRoutes,
  emailRoutes,
  meRoutes,
  adminUserRoutes,
  privacyRoutes,
  permissionRoutes,
  notificationRoutes,
  notificationStreamRoutes,
  eventRoutes,
  walletRoutes,
  ledgerAdminRoutes,
  usageRoutes,
  packageRoutes,
  paymentRoutes,
  demoPaymentRoutes,
  billingAdminRoutes,
  catalogRoutes,
  expertRoutes,
  orderRoutes,
  orderAdminRoutes,
  chatRoutes,
  // Before reviewRoutes: its public /experts/{id}/reviews must not see /experts/dashboard/reviews.
  dashboardRoutes,
  reviewRoutes,
  courseRoutes,
  ruleRoutes,
  attentionRoutes,
  webhookRoutes,
  flagRoutes,
  ...Object.values(LATER_MODULES).flatMap((m) => m.routers),
  platformAdminRoutes(SCHEDULES, startedAt),
  backupRoutes,
  criticalErrorRoutes,
];
