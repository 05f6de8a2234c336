import { createRoute } from "@hono/zod-openapi";
import { desc, inArray, or } from "drizzle-orm";
import type { AppContext } from "../../context";
import { ledgerTransfers } from "../../db/schema";
import { principalOf } from "../../http/auth";
import { Currency } from "../../lib/currency";
import { createRouter, errors, json, secured, z } from "../../lib/openapi";
import { iso } from "../../lib/time";
import { accountOf, userAvailable, userHeld } from "./service";

const WalletSchema = z
  .object({
    available: z.number().int(),
    held: z.number().int(),
    currency: z.string(),
    transfers: z.array(
      z.object({
        id: z.number().int(),
        kind: z.string(),
        direction: z.enum(["in", "out"]),
        account: z.enum(["available", "held"]),
        amount: z.number().int(),
        reference_type: z.string().nullable(),
        reference_id: z.string().nullable(),
        created_at: z.string(),
      }),
    ),
  })
  .openapi("Wallet");

/** The user's money: seed 000's balance / frozen_balance are the available / held accounts. */
export function wallet(ctx: AppContext, userId: number, currency: string, limit = 20) {
  const avail = accountOf(ctx.db, userAvailable(userId, currency));
  const held = accountOf(ctx.db, userHeld(userId, currency));
  const ids = [avail?.id, held?.id].filter((x): x is number => x !== undefined);
  const rows = ids.length
    ? ctx.db
        .select()
        .from(ledgerTransfers)
        .where(
          or(inArray(ledgerTransfers.debitAccountId, ids), inArray(ledgerTransfers.creditAccountId, ids)),
        )
        .orderBy(desc(ledgerTransfers.id))
        .limit(limit)
        .all()
    : [];
  return {
    available: avail?.balance ?? 0,
    held: held?.balance ?? 0,
    currency,
    transfers: rows.map((t) => {
      const incoming = ids.includes(t.creditAccountId) && !ids.includes(t.debitAccountId);
      // Not incoming means the money left one of the user's accounts (or moved between them).
      const mine = incoming ? t.creditAccountId : t.debitAccountId;
      return {
        id: t.id,
        kind: t.kind,
        direction: incoming ? ("in" as const) : ("out" as const),
        account: mine === held?.id ? ("held" as const) : ("available" as const),
        amount: t.amount,
        reference_type: t.referenceType,
        reference_id: t.referenceId,
        created_at: iso(t.createdAt),
      };
    }),
  };
}

export const walletRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/wallet",
    tags: ["wallet"],
    summary: "Available and held money with the latest transfers",
    ...secured("wallet:read"),
    request: { query: z.object({ currency: Currency.default("RUB") }) },
    responses: { 200: json(WalletSchema), ...errors(401, 403) },
  }),
  (c) => c.json(wallet(c.get("ctx"), principalOf(c).user.id, c.req.valid("query").currency), 200),
);
