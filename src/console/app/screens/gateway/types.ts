/** The gateway's answers as the console reads them (the API reference at /docs has every field). */

import type { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES, REQUISITE_STATUSES } from "../../../../db/enums";
import type { SelectionAttempt } from "../../../../db/schema/gateway";

export {
  GATEWAY_DIRECTIONS as DIRECTIONS,
  GATEWAY_ORDER_STATUSES as ORDER_STATUSES,
  REQUISITE_STATUSES,
} from "../../../../db/enums";

export type Balance = { available: number; held: number; currency: "USDT" };

export type Requisite = {
  id: number;
  trader_id: number;
  payment_method: "card" | "sbp" | "account";
  bank: string;
  details: string;
  owner_name: string;
  pay_in: boolean;
  pay_out: boolean;
  currency: string;
  min_amount: number;
  max_amount: number;
  daily_limit: number;
  daily_count_limit: number;
  status: (typeof REQUISITE_STATUSES)[number];
  used_today: { amount: number; count: number };
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
};

/** A requisite in staff's lists, with whose it is. */
export type StaffRequisite = Requisite & {
  trader: { id: number; user_id: number; username: string | null; teamlead_id: number | null };
};

// As stored on the order and answered as is (a type import: nothing of the schema is bundled).
export type { SelectionAttempt } from "../../../../db/schema/gateway";

export type StaffOrder = {
  id: number;
  direction: (typeof GATEWAY_DIRECTIONS)[number];
  store_id: number;
  client_order_id: string;
  status: (typeof GATEWAY_ORDER_STATUSES)[number];
  amount: number;
  currency: string;
  amount_crypto: number;
  rate: number;
  store_commission: number;
  payment_method: string | null;
  bank: string | null;
  requisite: { payment_method: string; bank: string; details: string; owner_name: string } | null;
  recipient: Record<string, string> | null;
  customer_id: string | null;
  status_reason: string | null;
  dispute_reason: string | null;
  receipts: ("customer" | "trader" | "dispute")[];
  expires_at: string | null;
  assigned_at: string | null;
  customer_confirmed_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
  requisite_id: number | null;
  trader_id: number | null;
  trader_commission: number | null;
  customer_ip: string | null;
  fraud: { decision: "allow" | "review" | "deny"; reasons: { code: string; message: string }[] };
  selection_log: SelectionAttempt[];
  retries: number;
  excluded_traders: number[];
};

export type OrderCallback = {
  id: number;
  message_id: string;
  event_type: string;
  url: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  last_status_code: number | null;
  delivered_at: string | null;
  created_at: string;
};

export type AdminTrader = {
  id: number;
  user_id: number;
  username: string | null;
  teamlead_id: number | null;
  priority: number;
  pay_in_bps: number;
  pay_out_bps: number;
  in_work: boolean;
  traffic_enabled: boolean;
  created_at: string;
  updated_at: string;
  balance: Balance;
};

export type PlatformBalance = {
  revenue: { currency: string; amount: number }[];
  stores: Balance;
  traders: Balance;
  clearing: { balance: number; currency: "USDT" };
};

export type Rate = { currency: string; rate: number; updated_at: string };
