import { createRoute } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { gatewayStores } from "../../../db/schema";
import { principalOf } from "../../../http/auth";
import { notFound } from "../../../lib/errors";
import {
  createRouter,
  errors,
  IdParam,
  json,
  jsonBody,
  optionalJsonBody,
  secured,
  z,
} from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { GW } from "../permissions";
import {
  AdminStorePatchBody,
  AdminStoreSchema,
  AdminStoresQuery,
  BalanceSchema,
  MerchantStoresQuery,
  StoreCreateBody,
  StorePatchBody,
  StoreSchema,
  StoreWithdrawalSchema,
  StoreWithSecretSchema,
  WithdrawBody,
} from "./schemas";
import {
  adminUpdateStore,
  createStore,
  listOwnStores,
  listStoresForAdmin,
  loadOwnStore,
  rotateStoreSecret,
  serializeStore,
  storeBalance,
  updateOwnStore,
  withdrawFromStore,
} from "./service";

const tags = ["gateway: stores"];
const adminTags = ["admin: gateway"];

/** Staff read a store by id: support for every store, other staff by a grant such as `stores:12:read`. */
const STORE_READ = "stores:{id}:read";

/** Merchants' stores (their callbacks and balances), and the admins' commissions and withdrawals. */
export const storeRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/merchant/stores",
      tags,
      summary:
        "Create a store; the callback signing secret (`whsec_…`) is in this answer only. Commissions start at 0 until an admin sets them",
      ...secured(GW.merchantStores),
      request: jsonBody(StoreCreateBody),
      responses: { 201: json(StoreWithSecretSchema, "Created"), ...errors(401, 403) },
    }),
    async (c) => c.json(await createStore(c.get("ctx"), principalOf(c).user.id, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/merchant/stores",
      tags,
      summary: "The caller's stores, newest first",
      ...secured(GW.merchantStores),
      request: { query: MerchantStoresQuery },
      responses: { 200: json(pageSchema(StoreSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listOwnStores(c.get("ctx"), principalOf(c).user.id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/merchant/stores/{id}",
      tags,
      summary: "One of the caller's stores (the secret is never shown again)",
      ...secured(GW.merchantStores),
      request: { params: IdParam },
      responses: { 200: json(StoreSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(
        serializeStore(loadOwnStore(c.get("ctx").db, c.req.valid("param").id, principalOf(c).user.id)),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/merchant/stores/{id}",
      tags,
      summary: "Rename a store or change its callback url (null removes it)",
      ...secured(GW.merchantStores),
      request: { params: IdParam, ...jsonBody(StorePatchBody) },
      responses: { 200: json(StoreSchema), ...errors(401, 403, 404) },
    }),
    async (c) =>
      c.json(
        await updateOwnStore(
          c.get("ctx"),
          principalOf(c).user.id,
          c.req.valid("param").id,
          c.req.valid("json"),
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/merchant/stores/{id}/rotate-secret",
      tags,
      summary:
        "Replace the callback signing secret at once: callbacks sent from now on are signed with the new one, which is in this answer only",
      ...secured(GW.merchantStores),
      request: { params: IdParam, ...optionalJsonBody(z.strictObject({})) },
      responses: { 200: json(StoreWithSecretSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(rotateStoreSecret(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/merchant/stores/{id}/balance",
      tags,
      summary: "A store's USDT balance in micro-units: available, and held by open pay-outs",
      ...secured(GW.merchantStores),
      request: { params: IdParam },
      responses: { 200: json(BalanceSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const db = c.get("ctx").db;
      const store = loadOwnStore(db, c.req.valid("param").id, principalOf(c).user.id);
      return c.json(storeBalance(db, store.id), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/stores",
      tags: adminTags,
      summary: "Every store with its balance, newest first; filters `merchant_id` and `active`",
      ...secured(GW.adminStores),
      request: { query: AdminStoresQuery },
      responses: { 200: json(pageSchema(AdminStoreSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listStoresForAdmin(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/gateway/stores/{id}",
      tags: adminTags,
      summary: "One store with its balance",
      ...secured(STORE_READ, GW.adminStores),
      request: { params: IdParam },
      responses: { 200: json(AdminStoreSchema), ...errors(401, 403, 404) },
    }),
    (c) => {
      const db = c.get("ctx").db;
      const store = db
        .select()
        .from(gatewayStores)
        .where(eq(gatewayStores.id, c.req.valid("param").id))
        .get();
      if (!store) throw notFound("store");
      return c.json({ ...serializeStore(store), balance: storeBalance(db, store.id) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/gateway/stores/{id}",
      tags: adminTags,
      summary:
        "Set a store's commissions (basis points, 0-10000) or switch it on or off; audited with before and after. Orders already created keep their commission",
      ...secured(GW.adminStores),
      request: { params: IdParam, ...jsonBody(AdminStorePatchBody) },
      responses: { 200: json(AdminStoreSchema), ...errors(401, 403, 404) },
    }),
    (c) =>
      c.json(adminUpdateStore(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/gateway/stores/{id}/withdraw",
      tags: adminTags,
      summary: "Pay USDT out of a store's available balance (audited; 402 when the balance is short)",
      ...secured(GW.adminMoney),
      description: `Requires permission \`${GW.adminMoney}\`. Records that \`amount\` USDT micro-units left the store's available balance (paid to the merchant outside souk). With an \`Idempotency-Key\` a retry never pays twice (the first withdrawal is answered again).`,
      request: { params: IdParam, ...jsonBody(WithdrawBody) },
      responses: {
        201: json(StoreWithdrawalSchema, "Withdrawn"),
        200: json(StoreWithdrawalSchema, "This withdrawal was already made under the same Idempotency-Key"),
        ...errors(401, 402, 403, 404, 409),
      },
    }),
    (c) => {
      const { result, applied } = withdrawFromStore(
        c.get("ctx"),
        actorOf(c),
        c.req.valid("param").id,
        c.req.valid("json"),
        c.req.header("idempotency-key"),
      );
      return applied ? c.json(result, 201) : c.json(result, 200);
    },
  );
