import type { Context } from "hono";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { ROLES, type Role } from "../../../db/schema";
import type { Env } from "../../../env";
import { can, resolvePrincipal } from "../../../http/auth";
import { bodyLimits } from "../../../http/body-limit";
import { callerKey } from "../../../http/caller";
import { reportUnhandled, toApiError } from "../../../http/errors";
import { settingRateLimit } from "../../../http/rate-limit";
import type { AppEnv } from "../../../http/types";
import { sha256Hex } from "../../../lib/crypto";
import type { FlagReason, FlagUser } from "./evaluate";
import { FLAG_KEY_RE } from "./schemas";
import { FLAG_DESCRIPTIONS, findFlag, flagKeys, resolveFlag } from "./service";

/**
 * The OpenFeature Remote Evaluation Protocol (OFREP): any OpenFeature SDK's OFREP provider can
 * use souk as its flag source. Its answers and failures are OFREP's own bodies, not souk's error
 * envelope, as the providers parse them.
 */
export const OFREP_PREFIX = "/ofrep/v1/evaluate/flags";
const PERMISSION = "flags:read";

type FailureCode = "PARSE_ERROR" | "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "GENERAL";

/** A failure already in OFREP's shape. */
class OfrepFailure extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405,
    readonly errorCode: FailureCode | "FLAG_NOT_FOUND" | null,
    readonly details: string,
  ) {
    super(details);
  }
}

const invalid = (code: FailureCode, details: string) => new OfrepFailure(400, code, details);

/** The flag key of a single evaluation's path, or null on the bulk path. */
function pathKey(c: Context<AppEnv>): string | null {
  const rest = c.req.path.slice(OFREP_PREFIX.length);
  if (!rest.startsWith("/")) return null;
  try {
    return decodeURIComponent(rest.slice(1));
  } catch {
    return rest.slice(1);
  }
}

/**
 * OFREP's failure bodies: a single evaluation's carry the flag key (its providers require it on
 * 400, 404 and 500), a bulk evaluation's do not; 401, 403 and 429 have no body in the protocol, so
 * they carry only details.
 */
function failureResponse(c: Context<AppEnv>, status: number, errorCode: string | null, details: string) {
  const key = pathKey(c);
  const body: Record<string, string> = {};
  if (key !== null && (status === 400 || status === 404 || status >= 500)) body.key = key;
  if (errorCode) body.errorCode = errorCode;
  body.errorDetails = details;
  return c.json(body, status as 400);
}

function onOfrepError(err: Error, c: Context<AppEnv>) {
  if (err instanceof OfrepFailure) {
    if (err.status === 405) c.header("Allow", "POST");
    return failureResponse(c, err.status, err.errorCode, err.details);
  }
  const e = toApiError(err);
  if (e.headers) for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  if (e.code === "internal") {
    reportUnhandled(err, c, 500);
    return failureResponse(c, 500, "GENERAL", "internal server error");
  }
  if (e.status === 400) return failureResponse(c, 400, "INVALID_CONTEXT", e.message);
  return failureResponse(c, e.status, null, e.message);
}

/** An API key holding `flags:read`, sent as `Authorization: Bearer sk_…` or `X-API-Key: sk_…`. */
const requireFlagsKey = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const bearer = c.req.header("authorization");
    const apiKey = c.req.header("x-api-key");
    const token = apiKey ? apiKey.trim() : /^Bearer\s+(\S+)$/i.exec(bearer ?? "")?.[1];
    if (!token) throw new OfrepFailure(401, null, "an API key is required (Authorization: Bearer sk_…)");
    if (!token.startsWith("sk_"))
      throw new OfrepFailure(401, null, "OFREP takes an API key (sk_…), not a token");
    // Acting as a user is for bot routes: evaluation names its user in the context instead.
    const p = await resolvePrincipal(c.get("ctx"), `Bearer ${token}`, undefined);
    c.set("principal", p);
    if (!can(p, PERMISSION)) throw new OfrepFailure(403, null, `the key needs the ${PERMISSION} scope`);
    await next();
  });

const USER_ID_RE = /^[1-9]\d{0,15}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The caller to evaluate for, from `{context: {targetingKey, role?}}`: the targeting key is a
 * souk user id; the role is the context's, else the user's current one. No targeting key is an
 * anonymous caller.
 */
async function evaluationUser(c: Context<AppEnv>): Promise<FlagUser | null> {
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw invalid("PARSE_ERROR", 'the body must be JSON: {"context": {"targetingKey": "<user id>"}}');
  }
  if (!isObject(body) || !isObject(body.context)) {
    throw invalid("INVALID_CONTEXT", 'the body must be {"context": {...}} with an object context');
  }
  const { targetingKey, role } = body.context;
  if (role !== undefined && !(typeof role === "string" && (ROLES as readonly string[]).includes(role))) {
    throw invalid("INVALID_CONTEXT", `role must be one of ${ROLES.join(", ")}`);
  }
  if (targetingKey === undefined) return null;
  if (typeof targetingKey !== "string") throw invalid("INVALID_CONTEXT", "targetingKey must be a string");
  if (targetingKey.trim() === "") {
    throw invalid(
      "TARGETING_KEY_MISSING",
      "targetingKey is empty: send a user id, or leave it out for an anonymous caller",
    );
  }
  const id = USER_ID_RE.test(targetingKey) ? Number(targetingKey) : Number.NaN;
  if (!Number.isSafeInteger(id)) {
    throw invalid("INVALID_CONTEXT", "targetingKey must be a souk user id (a positive integer as a string)");
  }
  if (role !== undefined) return { id, role: role as Role };
  const row = c
    .get("ctx")
    .sqlite.query<{ role: Role }, [number]>("SELECT role FROM users WHERE id = ?")
    .get(id);
  return { id, role: row?.role ?? null };
}

type Success = {
  key: string;
  value: boolean;
  reason: FlagReason;
  variant: "on" | "off";
  metadata: Record<string, string | boolean>;
};

function success(c: Context<AppEnv>, key: string, r: { value: boolean; reason: FlagReason }): Success {
  const description = findFlag(c.get("ctx"), key)?.description ?? FLAG_DESCRIPTIONS[key];
  return {
    key,
    value: r.value,
    reason: r.reason,
    variant: r.value ? "on" : "off",
    metadata: description ? { description } : {},
  };
}

/** Does If-None-Match name this ETag (or `*`)? Weak validators compare by their opaque part. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || bare(t) === etag);
}

const methodNotAllowed = () => {
  throw new OfrepFailure(405, null, "OFREP evaluation takes POST");
};

/** The OFREP endpoints, mounted at the root of the app (next to /api, not under it). */
export function ofrepRoutes(env: Pick<Env, "BODY_LIMIT_BYTES" | "UPLOAD_MAX_BYTES">) {
  const app = new Hono<AppEnv>();
  app.onError(onOfrepError);
  // `/*` covers the bulk path too.
  app.use(
    `${OFREP_PREFIX}/*`,
    bodyLimits(env),
    requireFlagsKey(),
    settingRateLimit("RATE_LIMIT_DEFAULT", callerKey, "ofrep"),
  );

  app.post(OFREP_PREFIX, async (c) => {
    const user = await evaluationUser(c);
    const ctx = c.get("ctx");
    const flags = flagKeys(ctx).map((key) => success(c, key, resolveFlag(ctx, key, user)!));
    const body = JSON.stringify({ flags });
    // The answer itself is hashed: it changes when a flag or the caller's role does, and only then.
    const etag = `"${sha256Hex(body).slice(0, 32)}"`;
    c.header("ETag", etag);
    if (matchesEtag(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    return c.body(body, 200, { "Content-Type": "application/json" });
  });
  // Any rest of the path is a key: one with a slash is no flag of souk's, so it is FLAG_NOT_FOUND.
  app.post(`${OFREP_PREFIX}/*`, async (c) => {
    const key = pathKey(c)!;
    const user = await evaluationUser(c);
    const r = FLAG_KEY_RE.test(key) ? resolveFlag(c.get("ctx"), key, user) : null;
    if (!r) throw new OfrepFailure(404, "FLAG_NOT_FOUND", `flag '${key}' was not found`);
    return c.json(success(c, key, r), 200);
  });
  app.all(`${OFREP_PREFIX}/*`, methodNotAllowed);
  app.all("/ofrep/*", () => {
    throw new OfrepFailure(404, null, "no such OFREP endpoint");
  });
  return app;
}
