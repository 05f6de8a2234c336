import { GATEWAY_DIRECTIONS, GATEWAY_ORDER_STATUSES } from "../../../db/schema";
import { z } from "../../../lib/openapi";
import { PageQuery, pageSchema } from "../../../lib/pagination";
import { RequisiteSchema } from "../requisites/schemas";

const IsoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

import { periodOf } from "../../../lib/period";

export { periodOf };

const periodFields = {
  from: IsoDate.optional().openapi({
    description: "Start of the period: an ISO date or date-time (UTC unless an offset is given)",
    example: "2026-11-01",
  }),
  to: IsoDate.optional().openapi({
    description: "End of the period, included: a date-time, or a date (its whole UTC day)",
    example: "2026-11-30",
  }),
};

/** from > to is refused (400 naming `query.from`) rather than answered with empty figures. */
const orderedPeriod = <T extends { from?: string; to?: string }>(q: T, ctx: z.RefinementCtx) => {
  const p = periodOf(q);
  if (p.from !== null && p.to !== null && p.from > p.to) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "must not be after to" });
  }
};

export const PeriodQuery = z.strictObject(periodFields).superRefine(orderedPeriod);
export const PeriodPageQuery = PageQuery.extend(periodFields).strict().superRefine(orderedPeriod);
export type PeriodPageQuery = z.infer<typeof PeriodPageQuery>;

export const OnlineRequisitesQuery = PageQuery.extend({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, "an ISO 4217 code such as RUB")
    .optional()
    .openapi({ example: "RUB" }),
  direction: z
    .enum(GATEWAY_DIRECTIONS)
    .optional()
    .openapi({ description: "Requisites enabled for pay-ins or for pay-outs" }),
}).strict();
export type OnlineRequisitesQuery = z.infer<typeof OnlineRequisitesQuery>;

const Int = z.number().int();
const Usdt = Int.openapi({ description: "USDT micro-units (6 decimals)" });

const PeriodSchema = z
  .object({ from: z.string().nullable(), to: z.string().nullable() })
  .openapi({ description: "The period the figures cover (null: open-ended)" });

export const VolumeSchema = z
  .object({
    count: Int,
    amount_crypto: Usdt,
    by_currency: z
      .array(
        z.object({
          currency: z.string(),
          count: Int,
          amount: Int.openapi({ description: "Fiat minor units" }),
        }),
      )
      .openapi({ description: "Fiat amounts per order currency" }),
  })
  .openapi("GatewayVolume");

const UserRef = z.object({ id: Int, username: z.string().nullable() }).openapi("GatewayUserRef");

const FigureFields = {
  orders: z
    .object({
      total: Int,
      by_status: z.record(z.enum(GATEWAY_ORDER_STATUSES), Int),
    })
    .openapi({ description: "The orders counted, by their status now" }),
  completed: VolumeSchema.openapi({ description: "The completed ones among them" }),
  conversion: z
    .number()
    .nullable()
    .openapi({ description: "completed / total (4 decimals); null without orders", example: 0.75 }),
  avg_confirm_seconds: Int.nullable().openapi({
    description: "Average seconds from assignment to completion of the completed ones",
  }),
};

const BalanceSchema = z.object({ available: Usdt, held: Usdt, currency: z.literal("USDT") });

export const TeamTraderSchema = z
  .object({
    id: Int,
    user: UserRef,
    online: z
      .boolean()
      .openapi({ description: "In work, traffic on and not banned: selection may route to them" }),
    in_work: z.boolean(),
    traffic_enabled: z.boolean(),
    banned: z.boolean(),
    balance: BalanceSchema,
    today: VolumeSchema.openapi({
      description: "Today's (UTC) orders: open ones assigned today and those completed today",
    }),
  })
  .openapi("GatewayTeamTrader");

export const TraderStatsSchema = z
  .object({ trader_id: Int, period: PeriodSchema, ...FigureFields })
  .openapi("GatewayTraderStats", {
    description: "Orders created in the period that were ever assigned to the trader",
  });

export const TeamStatsSchema = z
  .object({ traders: Int, online: Int, period: PeriodSchema, ...FigureFields })
  .openapi("GatewayTeamStats");

export const OnlineRequisiteSchema = RequisiteSchema.extend({
  trader: z.object({ id: Int, user_id: Int, username: z.string().nullable(), teamlead_id: Int.nullable() }),
}).openapi("GatewayOnlineRequisite");

export const PlatformBalanceSchema = z
  .object({
    revenue: z.array(z.object({ currency: z.string(), amount: Int })).openapi({
      description: "The platform's revenue accounts per ledger currency (USDT: the gateway's profit)",
    }),
    stores: BalanceSchema.openapi({ description: "What every store holds" }),
    traders: BalanceSchema.openapi({ description: "Every trader's deposit" }),
    clearing: z.object({ balance: Usdt, currency: z.literal("USDT") }).openapi({
      description:
        "The gateway's clearing account: negative by the USDT that came in (deposits) and did not go out (withdrawals)",
    }),
  })
  .openapi("GatewayPlatformBalance");

export const MerchantStatsSchema = z
  .object({ merchant: UserRef, stores: Int, ...FigureFields })
  .openapi("GatewayMerchantStats", { description: "Orders of the merchant's stores created in the period" });

export const TraderEntityStatsSchema = z
  .object({
    trader_id: Int,
    user: UserRef,
    teamlead_id: Int.nullable(),
    online: z.boolean(),
    ...FigureFields,
  })
  .openapi("GatewayTraderEntityStats", {
    description: "Orders created in the period that were ever assigned to the trader",
  });

export const TeamleadStatsSchema = z
  .object({ teamlead: UserRef, traders: Int, online: Int, ...FigureFields })
  .openapi("GatewayTeamleadStats", {
    description: "Orders created in the period that were ever assigned to a trader of the team",
  });

const Decisions = <K extends string>(keys: readonly K[]) =>
  z.object({ total: Int, ...(Object.fromEntries(keys.map((k) => [k, Int])) as Record<K, typeof Int>) });

export const SupportStatsSchema = z
  .object({
    support: UserRef,
    disputes_resolved: Decisions(["completed", "cancelled"] as const).openapi({
      description: "Disputes resolved for the merchant (completed) or the trader (cancelled)",
    }),
    reviews: Decisions(["allowed", "denied"] as const).openapi({ description: "Fraud reviews decided" }),
  })
  .openapi("GatewaySupportStats", { description: "Decisions taken in the period, from the audit log" });

/** A page of entity statistics with the period it covers. */
export const statsPage = <T extends z.ZodTypeAny>(item: T) =>
  pageSchema(item).extend({ period: PeriodSchema });
