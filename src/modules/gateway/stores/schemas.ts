import { z } from "@hono/zod-openapi";
import { PageQuery } from "../../../lib/pagination";

const Name = z.string().trim().min(1).max(200).openapi({ example: "Book shop" });
const CallbackUrl = z.string().trim().min(1).max(2048).openapi({
  example: "https://shop.example.com/souk/callbacks",
  description:
    "Where status changes of the store's orders are sent, signed with the store's `whsec_` secret (Standard Webhooks). Must be https and resolve to public addresses.",
});
const Bps = z
  .number()
  .int()
  .min(0)
  .max(10_000)
  .openapi({ example: 300, description: "Basis points (300 = 3%)" });
/** USDT micro-units: whole, positive, exact. */
export const UsdtAmount = z
  .number()
  .int("whole USDT micro-units")
  .positive()
  .max(Number.MAX_SAFE_INTEGER)
  .openapi({ example: 25_000_000, description: "USDT micro-units (25000000 = 25 USDT)" });
export const Note = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .openapi({ example: "Bank transfer of 12 May, ref 4471" });

export const StoreSchema = z
  .object({
    id: z.number().int(),
    merchant_id: z.number().int(),
    name: z.string(),
    callback_url: z.string().nullable(),
    pay_in_bps: z.number().int().openapi({ description: "The store's pay-in commission in basis points" }),
    pay_out_bps: z.number().int().openapi({ description: "The store's pay-out commission in basis points" }),
    active: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("GatewayStore");

export const StoreWithSecretSchema = StoreSchema.extend({
  callback_secret: z.string().openapi({
    description:
      "The callback signing secret (`whsec_…`). Shown only in this answer: keep it to verify callbacks.",
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2NBRmn1wq1g=",
  }),
}).openapi("GatewayStoreWithSecret");

export const BalanceSchema = z
  .object({
    available: z.number().int().openapi({ description: "USDT micro-units free to use" }),
    held: z.number().int().openapi({ description: "USDT micro-units held by open orders" }),
    currency: z.literal("USDT"),
  })
  .openapi("GatewayBalance");

export const AdminStoreSchema = StoreSchema.extend({ balance: BalanceSchema }).openapi("GatewayAdminStore");

export const StoreCreateBody = z
  .strictObject({ name: Name, callback_url: CallbackUrl.optional() })
  .openapi("GatewayStoreCreateBody", {
    example: { name: "Book shop", callback_url: "https://shop.example.com/souk/callbacks" },
  });
export type StoreCreate = z.infer<typeof StoreCreateBody>;

export const StorePatchBody = z
  .strictObject({
    name: Name.optional(),
    callback_url: CallbackUrl.nullable().optional().openapi({ description: "null removes it" }),
  })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("GatewayStorePatchBody", { example: { name: "Book shop (EU)" } });
export type StorePatch = z.infer<typeof StorePatchBody>;

export const AdminStorePatchBody = z
  .strictObject({ pay_in_bps: Bps.optional(), pay_out_bps: Bps.optional(), active: z.boolean().optional() })
  .refine((o) => Object.keys(o).length > 0, { message: "send at least one field to change" })
  .openapi("GatewayAdminStorePatchBody", { example: { pay_in_bps: 350, pay_out_bps: 250, active: true } });
export type AdminStorePatch = z.infer<typeof AdminStorePatchBody>;

export const MerchantStoresQuery = PageQuery.strict();

export const AdminStoresQuery = PageQuery.extend({
  merchant_id: z.coerce.number().int().positive().optional(),
  active: z.enum(["true", "false"]).optional(),
}).strict();
export type AdminStoresQuery = z.infer<typeof AdminStoresQuery>;

export const WithdrawBody = z
  .strictObject({ amount: UsdtAmount, note: Note })
  .openapi("GatewayWithdrawBody", {
    example: { amount: 25_000_000, note: "Paid out to the merchant's wallet" },
  });
export type WithdrawInput = z.infer<typeof WithdrawBody>;

/** One admin money movement on a store or a trader, as the audit row keeps it. */
export const MoneyMoveSchema = z
  .object({
    transfer_id: z.number().int(),
    amount: z.number().int(),
    currency: z.literal("USDT"),
    note: z.string(),
    balance_before: z.number().int().openapi({ description: "Available USDT micro-units before" }),
    balance_after: z.number().int(),
    created_at: z.string(),
  })
  .openapi("GatewayMoneyMove");

export const StoreWithdrawalSchema = MoneyMoveSchema.extend({ store_id: z.number().int() }).openapi(
  "GatewayStoreWithdrawal",
);
