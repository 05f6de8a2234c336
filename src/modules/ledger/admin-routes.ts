import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../lib/openapi";
import { actorOf } from "../accounts/admin-routes";
import {
  creditUserWallet,
  WALLET_CREDIT_PERMISSION,
  WalletCreditBody,
  WalletCreditResult,
} from "./admin-credit";
import { checkInvariants } from "./check";

const InvariantReportSchema = z
  .object({
    ok: z.boolean(),
    checks: z.array(
      z.object({ name: z.string(), ok: z.boolean(), details: z.record(z.string(), z.unknown()) }),
    ),
  })
  .openapi("InvariantReport");

/** Staff money operations on users' wallets, and the books' self-check. */
export const ledgerAdminRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/system/check",
      tags: ["admin: system"],
      summary: "Check the books: the ledger sums to zero, no account is negative, held money equals escrow",
      ...secured("system:read"),
      description:
        "Requires permission `system:read`. Reads one snapshot and changes nothing; the same report as `souk check`. `ok` is false when any check finds violations, each listed with up to 20 rows.",
      responses: { 200: json(InvariantReportSchema), ...errors(401, 403) },
    }),
    (c) => c.json(checkInvariants(c.get("ctx")), 200),
  )
  .openapi(
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
