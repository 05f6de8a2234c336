import { ORDER_STATUSES as STATUSES } from "../../../../db/enums";

export { STATUSES };
export type Status = (typeof STATUSES)[number];

export type RiskFields = {
  risk_score: number | null;
  risk_level: "low" | "medium" | "high" | "critical" | null;
  risk_updated_at: string | null;
};

/** An order as GET /admin/orders and GET /orders/{id} give it (money in minor units). */
export type Order = {
  id: number;
  kind: "work" | "session";
  status: Status;
  client_id: number;
  expert_id: number | null;
  title: string;
  description: string | null;
  subject_id: number;
  deadline: string | null;
  scheduled_at: string | null;
  duration_minutes: number | null;
  budget: number | null;
  price: number | null;
  currency: string;
  payment_method: "wallet" | "manual" | null;
  escrow_amount: number;
  sla_due_at: string | null;
  sla_breached_at: string | null;
  status_reason: string | null;
  taken_at: string | null;
  paid_at: string | null;
  started_at: string | null;
  delivered_at: string | null;
  completed_at: string | null;
  cancelled_at: string | null;
  created_at: string;
  updated_at: string;
  /** Only for staff who may read users. */
  client_risk?: RiskFields;
};

export type TimelineEvent = {
  id: number;
  type: string;
  actor_id: number | null;
  payload: Record<string, unknown>;
  created_at: string;
};

export type Message = {
  id: number;
  sender_id: number;
  body: string | null;
  is_deleted: boolean;
  deleted_at: string | null;
  deleted_by: number | null;
  created_at: string;
};
