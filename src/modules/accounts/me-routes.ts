import { createRoute } from "@hono/zod-openapi";
import type { AppContext } from "../../context";
import { principalOf } from "../../http/auth";
import { forbidden } from "../../lib/errors";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../lib/openapi";
import { clientRiskOf } from "../scoring/read";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys";
import { permissionsFor } from "./permissions";
import {
  ApiKeyBody,
  ApiKeyCreated,
  ApiKeySchema,
  BotUserBody,
  MeSchema,
  PatchMeBody,
  UserSchema,
} from "./schemas";
import { serializeUser } from "./serialize";
import { getUser, updateProfile } from "./service";
import { upsertTelegramUser } from "./telegram";

const tags = ["me"];

const me = (ctx: AppContext, user: ReturnType<typeof getUser>) => ({
  ...serializeUser(user),
  permissions: permissionsFor(user.role, user.grantedPermissions),
  payment_settings: ctx.settings.get("payment_settings"),
  ...(user.role === "client" ? clientRiskOf(ctx.db, user.id) : {}),
});

export const meRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/me",
      tags,
      summary: "The caller's profile",
      ...secured("me:read"),
      responses: { 200: json(MeSchema), ...errors(401, 403) },
    }),
    (c) => c.json(me(c.get("ctx"), getUser(c.get("ctx"), principalOf(c).user.id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/me",
      tags,
      summary:
        "Update the caller's profile: names, bio, experience, education, skills, avatar, email, username",
      ...secured("me:write"),
      request: jsonBody(PatchMeBody),
      responses: { 200: json(MeSchema), ...errors(401, 403, 409) },
    }),
    (c) => {
      const b = c.req.valid("json");
      // The email is where password resets go: a bot acting as the user must not redirect it.
      if (b.email !== undefined && principalOf(c).actingKeyId) {
        throw forbidden("a bot acting as a user cannot change the user's email");
      }
      const patch = {
        email: b.email,
        username: b.username,
        firstName: b.first_name,
        lastName: b.last_name,
        bio: b.bio,
        experienceYears: b.experience_years,
        education: b.education,
        skills: b.skills,
        avatarUrl: b.avatar_url,
      };
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const ctx = c.get("ctx");
      return c.json(me(ctx, updateProfile(ctx, principalOf(c).user.id, defined)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/me/api-keys",
      tags,
      summary: "Create an API key (the key is shown only in this response)",
      ...secured("api_keys:write"),
      request: jsonBody(ApiKeyBody),
      responses: { 201: json(ApiKeyCreated), ...errors(401, 403) },
    }),
    (c) => c.json(createApiKey(c.get("ctx"), principalOf(c), c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/me/api-keys",
      tags,
      summary: "List the caller's API keys",
      ...secured("api_keys:read"),
      responses: { 200: json(z.object({ results: z.array(ApiKeySchema) })), ...errors(401, 403) },
    }),
    (c) => c.json({ results: listApiKeys(c.get("ctx"), principalOf(c).user.id) }, 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/me/api-keys/{id}",
      tags,
      summary: "Revoke an API key (refused at once from then on)",
      ...secured("api_keys:write"),
      request: { params: IdParam },
      responses: { 204: { description: "Revoked" }, ...errors(401, 403, 404) },
    }),
    (c) => {
      revokeApiKey(c.get("ctx"), principalOf(c).user.id, c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/bot/users",
      tags: ["bot"],
      summary: "Upsert a user by Telegram id (bot server key with bot:act_as)",
      ...secured("bot:act_as"),
      request: jsonBody(BotUserBody),
      responses: {
        200: json(UserSchema, "Existing user"),
        201: json(UserSchema, "Created"),
        ...errors(401, 403),
      },
    }),
    (c) => {
      const ctx = c.get("ctx");
      const b = c.req.valid("json");
      const { user, created } = ctx.db.transaction(
        (tx) => upsertTelegramUser(ctx, tx, { ...b, id: b.telegram_id }, principalOf(c).user.id),
        { behavior: "immediate" },
      );
      return created ? c.json(serializeUser(user), 201) : c.json(serializeUser(user), 200);
    },
  );
