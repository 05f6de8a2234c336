import { sendEmail } from "../providers/email";
import { sendTelegramMessage } from "../providers/telegram";
import { adminUserRoutes } from "./accounts/admin-routes";
import { authRoutes } from "./accounts/auth-routes";
import { emailRoutes } from "./accounts/email-routes";
import { EMAIL_TOKEN_JOB, sendEmailTokenJob } from "./accounts/email-tokens";
import { meRoutes } from "./accounts/me-routes";
import { billingAdminRoutes } from "./billing/admin-routes";
import { BILLING_SCHEDULES } from "./billing/notices";
import { packageRoutes } from "./billing/package-routes";
import { usageRoutes } from "./billing/usage-routes";
import { courseRoutes } from "./courses/routes";
import { ledgerAdminRoutes } from "./ledger/admin-routes";
import { walletRoutes } from "./ledger/wallet-routes";
import { catalogRoutes } from "./marketplace/catalog-routes";
import { chatRoutes } from "./marketplace/chat-routes";
import { dashboardRoutes } from "./marketplace/dashboard-routes";
import { expertRoutes } from "./marketplace/expert-routes";
import { orderAdminRoutes } from "./marketplace/order-admin-routes";
import { orderRoutes } from "./marketplace/order-routes";
import { reviewRoutes } from "./marketplace/review-routes";
import { MARKETPLACE_SCHEDULES } from "./marketplace/schedules";
import { demoPaymentRoutes } from "./payments/demo-routes";
import { paymentRoutes } from "./payments/routes";
import { platformAdminRoutes } from "./platform/admin-routes";
import { PLATFORM_SCHEDULES, type Schedule } from "./platform/cron";
import { healthRoutes } from "./platform/health-routes";
import type { JobHandler } from "./platform/jobs";
import { notificationRoutes } from "./platform/notification-routes";

/** Every schedule of every module: run by croner, listed in status, runnable by admins. */
export const SCHEDULES: Schedule[] = [...PLATFORM_SCHEDULES, ...BILLING_SCHEDULES, ...MARKETPLACE_SCHEDULES];

/** Every background job type and its handler. */
export const JOB_HANDLERS: Record<string, JobHandler> = {
  "telegram.send": (ctx, p) => sendTelegramMessage(ctx, Number(p.chat_id), String(p.text)),
  "email.send": (ctx, p) =>
    sendEmail(ctx, { to: String(p.to), subject: String(p.subject), text: String(p.text) }),
  [EMAIL_TOKEN_JOB]: sendEmailTokenJob,
};

const startedAt = Date.now();

/** Routers mounted under /api/v1 (and so /api). */
export const MODULE_ROUTERS = [
  healthRoutes,
  authRoutes,
  emailRoutes,
  meRoutes,
  adminUserRoutes,
  notificationRoutes,
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
  platformAdminRoutes(SCHEDULES, startedAt),
];
