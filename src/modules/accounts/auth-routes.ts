import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { clientIpOf } from "../../http/client-ip";
import type { AppEnv } from "../../http/types";
import { ApiError } from "../../lib/errors";
import { createRouter, errors, json, jsonBody, optionalJsonBody, z } from "../../lib/openapi";
import { audit } from "../platform/audit";
import { loginGuardOf } from "./login-guard";
import { AuthResult, LoginBody, RefreshBody, RegisterBody, TelegramBody } from "./schemas";
import { login, needsBootstrap, type RequestOrigin, register, startSession } from "./service";
import { logout, rotateRefreshToken } from "./sessions";
import { upsertTelegramUser, verifyInitData, verifyWidget } from "./telegram";

const tags = ["auth"];
const COOKIE = "refresh_token";

/** Browsers get the refresh token as an httpOnly cookie; other clients read it from the body. */
function withCookie<T extends { refresh_token: string }>(c: Context<AppEnv>, result: T): T {
  const { env } = c.get("ctx");
  setCookie(c, COOKIE, result.refresh_token, {
    httpOnly: true,
    secure: env.PUBLIC_URL.startsWith("https:"),
    sameSite: "Lax",
    path: "/api",
    maxAge: env.REFRESH_TOKEN_TTL_SECONDS,
  });
  return result;
}

function refreshTokenOf(c: Context<AppEnv>, body: { refresh_token?: string }): string {
  const token = body.refresh_token ?? getCookie(c, COOKIE);
  if (!token) throw new ApiError("unauthenticated", "no refresh token (cookie or body)");
  return token;
}

const originOf = (c: Context<AppEnv>): RequestOrigin => ({
  ip: clientIpOf(c),
  requestId: c.get("requestId"),
});

/**
 * Runs a credential check under the failed-login guard: refused while locked, counted when wrong.
 * A wrong credential or a banned account is audited (lockouts are not: they would flood the log).
 */
async function guarded<T>(
  c: Context<AppEnv>,
  via: "password" | "telegram",
  loginName: string | null,
  check: () => T | Promise<T>,
): Promise<T> {
  const ctx = c.get("ctx");
  const guard = loginGuardOf(ctx);
  const ip = clientIpOf(c);
  guard.check(ip, loginName);
  try {
    return await check();
  } catch (e) {
    if (e instanceof ApiError && e.code === "invalid_credentials") guard.failed(ip, loginName);
    if (e instanceof ApiError && (e.code === "invalid_credentials" || e.code === "forbidden")) {
      const now = ctx.clock.now();
      ctx.db.transaction(
        (tx) =>
          audit(tx, now, {
            actorId: null,
            action: "auth.login_failed",
            details: { via, login: loginName, reason: e.code },
            ip,
            requestId: c.get("requestId"),
          }),
        { behavior: "immediate" },
      );
    }
    throw e;
  }
}

const authPost = (path: string, summary: string, body: z.ZodType, status: 200 | 201, extra: number[] = []) =>
  createRoute({
    method: "post",
    path,
    tags,
    summary,
    request: { ...jsonBody(body) },
    responses: { [status]: json(AuthResult), ...errors(401, 403, ...extra) },
  });

export const authRoutes = createRouter()
  .openapi(
    authPost("/auth/register", "Register with email and password", RegisterBody, 201, [409]),
    async (c) => {
      if (!c.get("ctx").settings.get("registration_open"))
        throw new ApiError("forbidden", "registration is closed");
      const body = c.req.valid("json" as never) as z.infer<typeof RegisterBody>;
      return c.json(withCookie(c, await register(c.get("ctx"), body)), 201);
    },
  )
  .openapi(authPost("/auth/login", "Log in with email or username", LoginBody, 200), async (c) => {
    const body = c.req.valid("json" as never) as z.infer<typeof LoginBody>;
    const result = await guarded(c, "password", body.login, () => login(c.get("ctx"), body, originOf(c)));
    loginGuardOf(c.get("ctx")).succeeded(body.login);
    return c.json(withCookie(c, result), 200);
  })
  .openapi(
    authPost(
      "/auth/telegram",
      "Log in with Telegram (Mini App init_data or Login Widget)",
      TelegramBody,
      200,
    ),
    async (c) => {
      const ctx = c.get("ctx");
      const body = c.req.valid("json" as never) as z.infer<typeof TelegramBody>;
      const profile = await guarded(c, "telegram", null, () =>
        "init_data" in body ? verifyInitData(ctx, body.init_data) : verifyWidget(ctx, body),
      );
      const { user } = ctx.db.transaction((tx) => upsertTelegramUser(ctx, tx, profile), {
        behavior: "immediate",
      });
      if (user.isBanned) throw new ApiError("forbidden", "account is banned");
      return c.json(withCookie(c, await startSession(ctx, user, "telegram", originOf(c))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/refresh",
      tags,
      summary: "Exchange a refresh token for a new pair (rotation; reuse revokes the family)",
      request: optionalJsonBody(RefreshBody),
      responses: { 200: json(AuthResult), ...errors(401, 403) },
    }),
    async (c) => {
      const body = (c.req.valid("json" as never) ?? {}) as z.infer<typeof RefreshBody>;
      return c.json(withCookie(c, await rotateRefreshToken(c.get("ctx"), refreshTokenOf(c, body))), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      tags,
      summary: "Revoke the refresh token's session",
      request: optionalJsonBody(RefreshBody),
      responses: { 204: { description: "Logged out" }, ...errors(401) },
    }),
    async (c) => {
      const body = (c.req.valid("json" as never) ?? {}) as z.infer<typeof RefreshBody>;
      logout(c.get("ctx"), refreshTokenOf(c, body));
      deleteCookie(c, COOKIE, { path: "/api" });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/bootstrap-status",
      tags,
      summary: "Whether the first admin still has to be created",
      responses: { 200: json(z.object({ needs_bootstrap: z.boolean() })), ...errors() },
    }),
    (c) => c.json({ needs_bootstrap: needsBootstrap(c.get("ctx")) }, 200),
  )
  .openapi(
    authPost(
      "/auth/bootstrap-admin",
      "Create the first admin (only while none exists)",
      RegisterBody,
      201,
      [409],
    ),
    async (c) => {
      const body = c.req.valid("json" as never) as z.infer<typeof RegisterBody>;
      return c.json(withCookie(c, await register(c.get("ctx"), body, "admin")), 201);
    },
  );
