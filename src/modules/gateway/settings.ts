import { z } from "zod";
import { def, RateSpec, type SettingDef } from "../platform/settings/registry-types";

const usdt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * The gateway's knobs. Fraud amounts are USDT micro-units (the order's `amount_crypto`), so one
 * threshold holds across fiat currencies; 0 switches an amount check off.
 */
export const GATEWAY_SETTINGS = {
  gateway_payin_ttl_seconds: def(
    z.number().int().min(60).max(86400),
    900,
    "How long an assigned pay-in waits for the customer's payment before it expires",
  ),
  gateway_payout_ttl_seconds: def(
    z
      .number()
      .int()
      .min(60)
      .max(7 * 86400),
    3600,
    "How long an assigned pay-out waits for the trader's transfer before it expires",
  ),
  gateway_confirm_grace_seconds: def(
    z
      .number()
      .int()
      .min(0)
      .max(7 * 86400),
    1800,
    "Extra time a pay-in gets once the customer says they paid",
  ),
  fraud_max_amount: def(usdt, 10_000_000_000, "Deny orders above this many USDT micro-units (0: no limit)"),
  fraud_review_amount: def(
    usdt,
    2_000_000_000,
    "Send orders above this many USDT micro-units to support's review (0: never)",
  ),
  fraud_denied_customers: def(
    z.array(z.string().min(1).max(200)).max(10_000),
    [],
    "Customer ids always denied",
  ),
  fraud_denied_ips: def(
    z.array(z.string().min(1).max(64)).max(10_000),
    [],
    "Addresses or CIDR blocks (IPv4 or IPv6) always denied",
  ),
  fraud_velocity_customer: def(
    RateSpec,
    "10/hour",
    "Orders one customer of a store may create per window before the next goes to review",
  ),
  fraud_velocity_ip: def(
    RateSpec,
    "30/hour",
    "Orders one customer address may create per window before the next goes to review",
  ),
} satisfies Record<string, SettingDef>;
