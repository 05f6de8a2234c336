import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../../lib/pagination";
import { BalanceSchema, MoneyMoveSchema, Note, UsdtAmount } from "../stores/schemas";

const Bps = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .openapi({ example: 100, description: "Basis points (100 = 1%)" });
const Priority = z.number().int().min(0).max(1_000_000).openapi({
  example: 100,
  description: "Selection order: traders with a lower priority are offered orders first",
});
const UserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const TraderSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int(),
    teamlead_id: z.number().int().nullable().openapi({ description: "The user id of the trader's teamlead" }),
    priority: z.number().int(),
    pay_in_bps: z.number().int().openapi({ description: "The trader's pay-in commission in basis points" }),
    pay_out_bps: z.number().int().openapi({ description: "The trader's pay-out commission in basis points" }),
    in_work: z.boolean().openapi({ description: "The trader's own switch: taking orders now" }),
    traffic_enabled: z
      .boolean()
      .openapi({ description: "The teamlead's (or an admin's) switch over the trader's orders" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("GatewayTrader");

export const AdminTraderSchema = TraderSchema.extend({
  username: z.string().nullable().openapi({ description: "The trader's username" }),
  balance: BalanceSchema.openapi({ description: "The deposit: available, and held by open pay-ins" }),
}).openapi("GatewayAdminTrader");

export const TraderCreateBody = z
  .strictObject({
    user_id: UserId.openapi({
      description: "A client (made a trader by this call) or a trader without a profile",
    }),
    teamlead_id: UserId.nullable().optional().openapi({ description: "A user with the role teamlead" }),
    priority: Priority,
    pay_in_bps: Bps,
    pay_out_bps: Bps,
  })
  .openapi("GatewayTraderCreateBody", {
    example: { user_id: 42, teamlead_id: 7, priority: 100, pay_in_bps: 100, pay_out_bps: 100 },
  });
export type TraderCreate = z.infer<typeof TraderCreateBody>;

export const TraderPatchBody = z
  .strictObject({
    teamlead_id: UserId.nullable()
      .optional()
      .openapi({ description: "null leaves the trader without a teamlead" }),
    priority: Priority.optional(),
    pay_in_bps: Bps.optional(),
    pay_out_bps: Bps.optional(),
    in_work: z.boolean().optional(),
    traffic_enabled: z.boolean().optional(),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("GatewayTraderPatchBody", { example: { priority: 50, traffic_enabled: true } });
export type TraderPatch = z.infer<typeof TraderPatchBody>;

export const TradersQuery = PageQuery.extend({
  teamlead_id: z.coerce.number().int().positive().optional(),
}).strict();
export type TradersQuery = z.infer<typeof TradersQuery>;

export const DepositBody = z
  .strictObject({ amount: UsdtAmount, note: Note })
  .openapi("GatewayDepositBody", { example: { amount: 500_000_000, note: "USDT received, tx 0x9f3c…" } });
export type DepositInput = z.infer<typeof DepositBody>;

export const TraderDepositSchema = MoneyMoveSchema.extend({ trader_id: z.number().int() }).openapi(
  "GatewayTraderDeposit",
);

export const WorkBody = z
  .strictObject({ in_work: z.boolean() })
  .openapi("GatewayWorkBody", { example: { in_work: true } });

export const TrafficBody = z
  .strictObject({ enabled: z.boolean() })
  .openapi("GatewayTrafficBody", { example: { enabled: false } });
