import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { clientIpOf } from "../../http/client-ip";
import type { AppEnv } from "../../http/types";
import { ApiError } from "../../lib/errors";
import { createRouter, errors, json, jsonBody, optionalJsonBody, z } from "../../lib/openapi";
import { loginGuardOf } from "./login-guard";
import { AuthResult, LoginBody, RefreshBody, RegisterBody, TelegramBody } from "./schemas";
import { login, needsBootstrap, register, startSession } from "./service";
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

/** Runs a credential check under the failed-login guard: refused while locked, counted when wrong. */
async function guarded<T>(
  c: Context<AppEnv>,
  loginName: string | null,
  check: () => T | Promise<T>,
): Promise<T> {
  const guard = loginGuardOf(c.get("ctx"));
  const ip = clientIpOf(c);
  guard.check(ip, loginName);
  try {
    return await check();
  } catch (e) {
    if (e instanceof ApiError && e.code === "invalid_credentials") guard.failed(ip, loginName);
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
    const result = await guarded(c, body.login, () => login(c.get("ctx"), body));
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
      const profile = await guarded(c, null, () =>
        "init_data" in body ? verifyInitData(ctx, body.init_data) : verifyWidget(ctx, body),
      );
      const { user } = ctx.db.transaction((tx) => upsertTelegramUser(ctx, tx, profile), {
        behavior: "immediate",
      });
      if (user.isBanned) throw new ApiError("forbidden", "account is banned");
      return c.json(withCookie(c, await startSession(ctx, user, "telegram")), 200);
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
