import { z } from "zod";
import { GATEWAY_SETTINGS } from "../../gateway/settings";
import { BACKUP_SETTINGS } from "../system/backup-settings";
import { def, RateSpec, type SettingDef } from "./registry-types";

export { RateSpec, type SettingDef } from "./registry-types";

/**
 * Every setting souk reads from the database, with its type and default (seed 003's
 * configuration_settings plus the business knobs of seeds 000-002). Unknown keys are refused.
 */
export const SETTINGS = {
  MAX_ORDER_RETRIES: def(z.number().int().min(0).max(50), 5, "Attempts of a background job before it fails"),
  RETRY_BACKOFF_FACTOR: def(z.number().min(1).max(10), 2, "Multiplier of the delay between job attempts"),
  RETRY_BASE_DELAY_SECONDS: def(
    z.number().int().min(1).max(3600),
    5,
    "Delay before the first retry of a job",
  ),
  RATE_LIMIT_DEFAULT: def(RateSpec, "600/minute", "Requests per caller (user, key or IP)"),
  RATE_LIMIT_AUTH: def(
    RateSpec,
    "20/minute",
    "Sign-ups, first-admin creation and emails sent on request (verification, password reset), per IP",
  ),
  RATE_LIMIT_REFRESH: def(
    RateSpec,
    "300/minute",
    "Token refreshes per IP (looser: every open app refreshes)",
  ),
  RATE_LIMIT_LOGIN_ACCOUNT: def(
    RateSpec,
    "10/hour",
    "Failed logins per login name before it is locked for the rest of the window (whether or not the account exists)",
  ),
  RATE_LIMIT_LOGIN_IP: def(
    RateSpec,
    "100/hour",
    "Failed logins (password or Telegram) per IP before it is locked",
  ),
  telegram_auth_max_age_seconds: def(
    z
      .number()
      .int()
      .min(60)
      .max(30 * 86400),
    86400,
    "Oldest Telegram auth_date accepted at login",
  ),
  registration_open: def(z.boolean(), true, "Whether anyone may register with email and password"),
  usage_block_seconds: def(
    z.number().int().min(1).max(3600),
    15,
    "Usage is billed in blocks of this many seconds",
  ),
  expiry_notice_days: def(z.number().int().min(0).max(60), 3, "Days before a grant expires to notify"),
  low_balance_seconds: def(z.number().int().min(0), 300, "Notify when remaining seconds fall below this"),
  hold_default_ttl_seconds: def(z.number().int().min(10).max(86400), 900, "TTL of a minute hold"),
  order_commission_percent: def(z.number().min(0).max(100), 10, "Platform share of a released escrow"),
  auto_accept_days: def(z.number().int().min(1).max(60), 3, "Days after delivery an order accepts itself"),
  rules_log_unmatched: def(
    z.boolean(),
    false,
    "Also log a run when a rule's conditions did not match (matched runs, failures and depth-limit stops are always logged); costs a row per rule evaluated on every event",
  ),
  payment_settings: def(
    z.strictObject({
      instructions: z.string().max(2000),
      fields: z.record(z.string().min(1).max(100), z.string().max(500)),
    }),
    { instructions: "", fields: {} },
    "Manual transfer details shown to clients in /me (instructions and fields such as bank and account)",
  ),
  yookassa_ip_allowlist: def(z.array(z.string()), [], "YooKassa notification source IPs/CIDRs (empty: any)"),
  webhooks_allow_private_urls: def(
    z.boolean(),
    false,
    "Let webhook urls use http and reach loopback, private and link-local addresses (development only)",
  ),
  webhook_max_attempts: def(
    z.number().int().min(1).max(20),
    5,
    "Attempts of a webhook delivery before it fails",
  ),
  webhook_retry_base_delay_seconds: def(
    z.number().int().min(1).max(86400),
    5400,
    "Delay before a webhook's first retry; each next one is RETRY_BACKOFF_FACTOR times longer (5 attempts over ~22.5 h by default)",
  ),
  webhook_timeout_seconds: def(
    z.number().int().min(1).max(30),
    10,
    "How long a webhook receiver may take to answer",
  ),
  ...GATEWAY_SETTINGS,
  ...BACKUP_SETTINGS,
} satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.infer<(typeof SETTINGS)[K]["schema"]>;
export const isSettingKey = (k: string): k is SettingKey => Object.hasOwn(SETTINGS, k);

/** Parses "100/minute" into a window and a limit. */
export function parseRate(spec: string): { limit: number; windowMs: number } {
  const [n, unit] = spec.split("/").map((s) => s.trim());
  const ms = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit as "second"];
  return { limit: Number(n), windowMs: ms };
}
