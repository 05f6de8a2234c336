import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../lib/openapi";
import { actorOf } from "../accounts/admin-routes";
import {
  creditUserWallet,
  WALLET_CREDIT_PERMISSION,
  WalletCreditBody,
  WalletCreditResult,
} from "./admin-credit";

/** Staff money operations on users' wallets. */
export const ledgerAdminRoutes = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/admin/users/{id}/wallet/credit",
    tags: ["admin: users"],
    summary: "Credit a user's wallet (ledger adjustment from the platform, audited)",
    ...secured(WALLET_CREDIT_PERMISSION),
    description: `Requires permission \`${WALLET_CREDIT_PERMISSION}\` (admins hold it). Moves \`amount\` from the platform \`adjustments\` account to the user's available wallet; the audit row keeps the note and the balance before and after. With an \`Idempotency-Key\` a retry never credits twice (the first credit is answered again, 200).`,
    request: { params: IdParam, ...jsonBody(WalletCreditBody) },
    responses: {
      201: json(WalletCreditResult, "Credited"),
      200: json(WalletCreditResult, "This credit was already applied under the same Idempotency-Key"),
      ...errors(401, 403, 404, 409),
    },
  }),
  (c) => {
    const { result, applied } = creditUserWallet(
      c.get("ctx"),
      actorOf(c),
      c.req.valid("param").id,
      c.req.valid("json"),
      c.req.header("idempotency-key"),
    );
    return applied ? c.json(result, 201) : c.json(result, 200);
  },
);
