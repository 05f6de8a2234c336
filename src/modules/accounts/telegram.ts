import { createHash } from "node:crypto";
import { validate } from "@tma.js/init-data-node";
import { eq } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { users } from "../../db/schema";
import { hmacHex, safeEqual } from "../../lib/crypto";
import { ApiError, forbidden } from "../../lib/errors";
import { emit } from "../platform/events/service";
import { ACT_AS_TARGET_ROLES } from "./permissions";
import type { UserRow } from "./serialize";
import { insertUser } from "./service";

export type TelegramProfile = {
  id: number;
  username?: string;
  first_name?: string;
  last_name?: string;
  photo_url?: string;
};

type WidgetFields = TelegramProfile & { auth_date: number; hash: string };

function checkAge(ctx: AppContext, authDate: number) {
  const maxAge = ctx.settings.get("telegram_auth_max_age_seconds");
  const age = ctx.clock.now() / 1000 - authDate;
  if (age > maxAge) throw new ApiError("token_expired", "telegram auth_date is too old");
  if (age < -60) throw new ApiError("invalid_credentials", "telegram auth_date is in the future");
}

/** Mini App initData: signature via @tma.js/init-data-node, age against the injected clock. */
export function verifyInitData(ctx: AppContext, initData: string): TelegramProfile {
  const token = ctx.env.TELEGRAM_BOT_TOKEN;
  if (!token) throw forbidden("Telegram login is not configured");
  try {
    validate(initData, token, { expiresIn: 0 });
  } catch {
    throw new ApiError("invalid_credentials", "telegram init data signature is invalid");
  }
  const params = new URLSearchParams(initData);
  checkAge(ctx, Number(params.get("auth_date")));
  let user: TelegramProfile;
  try {
    user = JSON.parse(params.get("user") ?? "null");
  } catch {
    user = null as unknown as TelegramProfile;
  }
  if (!user || !Number.isSafeInteger(user.id) || user.id <= 0) {
    throw new ApiError("invalid_credentials", "telegram init data has no user");
  }
  return user;
}

/** Login Widget: key = SHA256(bot_token), hash = hex HMAC_SHA256(key, sorted k=v lines). */
export function verifyWidget(ctx: AppContext, fields: WidgetFields): TelegramProfile {
  const token = ctx.env.TELEGRAM_BOT_TOKEN;
  if (!token) throw forbidden("Telegram login is not configured");
  const { hash, ...data } = fields;
  const check = Object.keys(data)
    .sort()
    .map((k) => `${k}=${data[k as keyof typeof data]}`)
    .join("\n");
  const expected = hmacHex(createHash("sha256").update(token).digest(), check);
  if (!safeEqual(expected, hash))
    throw new ApiError("invalid_credentials", "telegram login signature is invalid");
  checkAge(ctx, fields.auth_date);
  const { auth_date: _, ...profile } = data;
  return profile;
}

function freeUsername(tx: Tx, wanted: string | undefined): string | null {
  const name = wanted?.toLowerCase();
  if (!name || !/^[a-z0-9_]{3,32}$/.test(name)) return null;
  return tx.select({ id: users.id }).from(users).where(eq(users.username, name)).get() ? null : name;
}

/** Finds the user with this Telegram id or creates one; names are refreshed from Telegram. */
export function upsertTelegramUser(
  ctx: AppContext,
  tx: Tx,
  p: TelegramProfile,
  actorId: number | null = null,
): { user: UserRow; created: boolean } {
  const now = ctx.clock.now();
  const existing = tx.select().from(users).where(eq(users.telegramId, p.id)).get();
  // A bot manages end users only; a staff or partner account linked to this Telegram id is not its to rename.
  if (existing && actorId !== null && !ACT_AS_TARGET_ROLES.includes(existing.role)) {
    throw forbidden("this Telegram id belongs to an account bots cannot manage");
  }
  if (!existing) {
    const user = insertUser(
      ctx,
      tx,
      {
        telegramId: p.id,
        username: freeUsername(tx, p.username),
        firstName: p.first_name ?? null,
        lastName: p.last_name ?? null,
        avatarUrl: p.photo_url ?? null,
      },
      actorId,
    );
    return { user, created: true };
  }
  const patch = {
    ...(p.first_name !== undefined ? { firstName: p.first_name } : {}),
    ...(p.last_name !== undefined ? { lastName: p.last_name } : {}),
  };
  if (!Object.keys(patch).length) return { user: existing, created: false };
  const user = tx
    .update(users)
    .set({ ...patch, updatedAt: now })
    .where(eq(users.id, existing.id))
    .returning()
    .get()!;
  emit(tx, now, {
    type: "user.profile_updated",
    actorId: actorId ?? user.id,
    subjectType: "user",
    subjectId: user.id,
    payload: { fields: Object.keys(patch), via: "telegram" },
  });
  return { user, created: false };
}
