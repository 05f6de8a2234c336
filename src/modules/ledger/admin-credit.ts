import { randomUUID } from "node:crypto";
import { z } from "@hono/zod-openapi";
import type { AppContext } from "../../context";
import { write } from "../../db/write";
import { Currency } from "../../lib/currency";
import { iso } from "../../lib/time";
import { minorToDecimal } from "../../providers/yookassa";
import type { AdminActor } from "../accounts/admin";
import { getUser } from "../accounts/service";
import { recordAdminAction } from "../platform/audit";
import { notify } from "../platform/notifications/service";
import { balanceOf, platformAdjustments, transfer, userAvailable } from "./service";

/** Staff only: end users hold `wallet:read` and `wallet:write` for their own wallet, never this. */
export const WALLET_CREDIT_PERMISSION = "wallet:credit";

/** The largest single credit in minor units (1 000 000.00 in a two-decimal currency). */
export const MAX_WALLET_CREDIT = 100_000_000;

export const WalletCreditBody = z
  .strictObject({
    amount: z
      .number()
      .int("whole minor units (kopecks, cents)")
      .positive()
      .max(MAX_WALLET_CREDIT)
      .openapi({ example: 50000, description: "Minor units" }),
    currency: Currency.default("RUB"),
    note: z.string().trim().min(1).max(500).openapi({ example: "Goodwill: transcription outage on 12 May" }),
  })
  .openapi("WalletCreditBody");

export const WalletCreditResult = z
  .object({
    transfer_id: z.number().int(),
    user_id: z.number().int(),
    amount: z.number().int(),
    currency: z.string(),
    note: z.string(),
    balance_before: z
      .number()
      .int()
      .openapi({ description: "The user's available balance before the credit" }),
    balance_after: z.number().int(),
    created_at: z.string(),
  })
  .openapi("WalletCreditResult");
export type WalletCreditResult = z.infer<typeof WalletCreditResult>;

/**
 * Credits a user's available wallet from the platform `adjustments` account (a ledger
 * `adjustment` transfer), audited with the balance before and after, an event and a notice to the
 * user, in one transaction. The ledger key is the caller's Idempotency-Key (scoped to the actor)
 * or a fresh id, so a retried credit never applies twice: it answers the first credit again.
 */
export function creditUserWallet(
  ctx: AppContext,
  actor: AdminActor,
  userId: number,
  b: z.infer<typeof WalletCreditBody>,
  idempotencyKey?: string,
): { result: WalletCreditResult; applied: boolean } {
  const key = `wallet-credit:${actor.id}:${idempotencyKey ?? randomUUID()}`;
  return write(ctx, (tx, now) => {
    getUser(ctx, userId);
    const account = userAvailable(userId, b.currency);
    const before = balanceOf(tx, account);
    const t = transfer(ctx, tx, {
      from: platformAdjustments(b.currency),
      to: account,
      amount: b.amount,
      kind: "adjustment",
      idempotencyKey: key,
      reference: { type: "user", id: userId },
      metadata: {
        note: b.note,
        actor_id: actor.id,
        balance_before: before,
        balance_after: before + b.amount,
      },
    });
    const m = t.transfer.metadata as { note: string; balance_before: number; balance_after: number };
    const result: WalletCreditResult = {
      transfer_id: t.transfer.id,
      user_id: userId,
      amount: t.transfer.amount,
      currency: t.transfer.currency,
      note: m.note,
      balance_before: m.balance_before,
      balance_after: m.balance_after,
      created_at: iso(t.transfer.createdAt),
    };
    if (!t.applied) return { result, applied: false };
    const { transfer_id, balance_before, balance_after, amount, currency, note } = result;
    recordAdminAction(tx, now, actor, {
      action: "wallet.credited",
      targetType: "user",
      targetId: userId,
      details: { transfer_id, amount, currency, note, balance_before, balance_after },
      changed: true,
    });
    notify(ctx, tx, {
      userId,
      type: "system",
      title: "Wallet credited",
      // The note is for staff (audit); the user is told only the amount.
      message: `${minorToDecimal(amount, currency)} ${currency} were added to your wallet.`,
      data: { transfer_id, amount, currency },
    });
    return { result, applied: true };
  });
}
