import {
  ACT_AS_TARGET_ROLES,
  CREDENTIAL_PERMISSIONS,
  hasPermission,
  permissionsFor,
  ROLE_PERMISSIONS,
} from "../modules/accounts/permissions";
import { apiKeyScopesText, settingsExample, settingsText } from "./openapi-registries";
import { TAG_DESCRIPTIONS } from "./openapi-tags";

type Media = { schema?: unknown; example?: unknown };
type Response = { description?: string; headers?: Record<string, unknown>; content?: Record<string, Media> };
export type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  security?: unknown[];
  parameters?: unknown[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, Response>;
  "x-permission"?: string;
};
type Doc = {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description: string }[];
  paths?: Record<string, Record<string, Operation>>;
  components?: {
    securitySchemes?: Record<string, { description?: string }>;
    parameters?: Record<string, unknown>;
    headers?: Record<string, unknown>;
  };
};

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const SETTINGS_PATH = "/api/v1/admin/system/settings";
const API_KEYS_PATH = "/api/v1/me/api-keys";

/** `get /api/v1/orders/{id}/set-price` -> `getOrdersByIdSetPrice`: stable, and unique per route. */
export function deriveOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/v1(?=\/|$)/, "")
    .split("/")
    .flatMap((seg) => {
      const param = /^\{(.+)\}$/.exec(seg);
      return param ? ["by", ...param[1]!.split(/[^A-Za-z0-9]+/)] : seg.split(/[^A-Za-z0-9]+/);
    })
    .filter(Boolean);
  return method.toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Every operation of the document with its method and path. */
export function operationsOf(doc: { paths?: unknown }) {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method]! })),
  );
}

const REQUIRES_RE = /Requires permission `([^`]+)`/;

// A bot key acting as a user gets that user's permissions, less the credential ones (src/http/auth.ts).
const ACT_AS_PERMISSIONS = ACT_AS_TARGET_ROLES.map((r) =>
  permissionsFor(r).filter((p) => !CREDENTIAL_PERMISSIONS.includes(p)),
);
export const actAsAllows = (permission: string) =>
  ACT_AS_PERMISSIONS.some((perms) => hasPermission(perms, permission));

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

// No examples on these optional headers: the reference would put them into every code sample.
const PARAMETERS = {
  IdempotencyKey: {
    name: "Idempotency-Key",
    in: "header",
    required: false,
    description:
      "Makes a retry safe. The first answer is kept for 24 hours per credential and replayed, with `Idempotent-Replayed: true`, for the same key and body; the same key with another body, or while the first request still runs, is 409 `idempotency_conflict`. On `/auth/*` the key is checked but the answer is not kept: tokens are never replayed.",
    schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x21-\\x7E]+$" },
  },
  ActAsTelegramId: {
    name: "X-Act-As-Telegram-Id",
    in: "header",
    required: false,
    description:
      "Only with an API key whose scopes and owner hold `bot:act_as`: run this request as the client or expert with this Telegram id, with that user's permissions (never API-key management). 404 when no user has the id, 403 for staff, partners or with any other credential.",
    schema: { type: "string", pattern: "^[1-9][0-9]{0,15}$" },
  },
};

const intHeader = (description: string) => ({ description, schema: { type: "integer", minimum: 0 } });
const HEADERS = {
  "RateLimit-Limit": intHeader(
    "Requests allowed per window for this caller: setting `RATE_LIMIT_DEFAULT` per user, key or IP, and tighter per-IP budgets on `/auth/*`.",
  ),
  "RateLimit-Remaining": intHeader("Requests left in the current window."),
  "RateLimit-Reset": intHeader("Seconds until the current window ends."),
  "RateLimit-Policy": {
    description: "The limit and its window in seconds, like `600;w=60`.",
    schema: { type: "string" },
  },
  "Retry-After": intHeader("Seconds to wait before trying again."),
  "Idempotent-Replayed": {
    description: "`true` when this is the kept answer to an earlier request with the same `Idempotency-Key`.",
    schema: { type: "string", enum: ["true"] },
  },
};
const RATE_HEADERS = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"];

function intro(aliases: readonly (readonly [string, string])[]) {
  const short = (p: string) => p.replace(/^\/api\/v1/, "");
  const compat = aliases.map(([from, to]) => `\`${short(from)}\` for \`${short(to)}\``).join(", ");
  return [
    "souk's HTTP API: accounts and API keys, prepaid minutes and metered usage, payments and wallets, and a marketplace of orders, chat, reviews and courses between clients and experts.",
    "",
    `**Paths.** Routes live under \`/api/v1\`. Compatibility paths answer too: every \`/api/v1/…\` route under \`/api/…\`${compat ? `, and ${compat}` : ""}. A trailing slash is ignored.`,
    "",
    "**Authentication.** `Authorization: Bearer <token>` with an access token from `/auth/*` or an API key `sk_…` (see the bearer scheme for key scopes). A bot key may act as an end user with `X-Act-As-Telegram-Id`.",
    "",
    '**Errors.** Every failure is `{ "error": { "code", "message", "request_id", "details"? } }` with a stable `code`; bad input is 400 `validation_failed` with every issue listed and changes nothing.',
    "",
    "**Retries and limits.** POST accepts `Idempotency-Key`. Responses carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a 429 adds `Retry-After`. Money is in integer minor units (kopecks, cents).",
  ].join("\n");
}

/**
 * Completes the generated document: operation ids, tag descriptions, the shared headers, the
 * scopes and settings lists, and request examples that come from registries, not from routes.
 */
export function finishOpenApiDocument<T extends object>(
  generated: T,
  opts: { aliases?: readonly (readonly [string, string])[] } = {},
): T {
  const doc = generated as unknown as Doc;
  doc.info.description = intro(opts.aliases ?? []);
  doc.components ??= {};
  doc.components.parameters = { ...doc.components.parameters, ...PARAMETERS };
  doc.components.headers = { ...doc.components.headers, ...HEADERS };

  const ops = operationsOf(doc);
  const seen = new Map<string, string>();
  const usedTags = new Set<string>();
  for (const { method, path, op } of ops) {
    op.operationId ??= deriveOperationId(method, path);
    const other = seen.get(op.operationId);
    if (other) throw new Error(`operationId ${op.operationId} of ${method} ${path} is also ${other}'s`);
    seen.set(op.operationId, `${method} ${path}`);
    for (const t of op.tags ?? []) usedTags.add(t);
    // Routes that guard themselves without secured() still say which permission they need.
    const permission = op["x-permission"] ?? REQUIRES_RE.exec(op.description ?? "")?.[1];
    if (op.security?.length && permission) op["x-permission"] = permission;
  }

  for (const { method, path, op } of ops) {
    const permission = op["x-permission"];
    const params = [...(op.parameters ?? [])];
    if (method === "post") params.push(ref("parameters", "IdempotencyKey"));
    if (op.security?.length && permission && actAsAllows(permission)) {
      params.push(ref("parameters", "ActAsTelegramId"));
    }
    if (params.length) op.parameters = params;

    for (const [status, res] of Object.entries(op.responses ?? {})) {
      const headers: Record<string, unknown> = { ...res.headers };
      for (const h of RATE_HEADERS) headers[h] = ref("headers", h);
      if (status === "429") headers["Retry-After"] = ref("headers", "Retry-After");
      if (method === "post" && status.startsWith("2")) {
        headers["Idempotent-Replayed"] = ref("headers", "Idempotent-Replayed");
      }
      res.headers = headers;
    }

    if (path === SETTINGS_PATH) {
      op.description = [op.description, settingsText()].filter(Boolean).join("\n\n");
      const media = op.requestBody?.content?.["application/json"];
      if (media) media.example = settingsExample(method === "put" ? "all" : "some");
    }
    if (path === API_KEYS_PATH && method === "post") {
      op.description = [op.description, apiKeyScopesText(ops)].filter(Boolean).join("\n\n");
    }
  }

  const order = Object.keys(TAG_DESCRIPTIONS);
  doc.tags = [...usedTags]
    .sort((a, b) => (order.indexOf(a) + 1 || 999) - (order.indexOf(b) + 1 || 999))
    .map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? "" }));

  const bearer = doc.components.securitySchemes?.bearerAuth;
  if (bearer) {
    bearer.description = [
      "`Authorization: Bearer <token>` with an access token (from `/auth/login`, `/auth/register`, `/auth/telegram` or `/auth/refresh`) or an API key `sk_…` (from `POST /me/api-keys`).",
      `Roles: ${Object.keys(ROLE_PERMISSIONS)
        .map((r) => `\`${r}\``)
        .join(", ")}.`,
      apiKeyScopesText(ops),
    ].join("\n\n");
  }
  return generated;
}
