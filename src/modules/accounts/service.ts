import { and, eq, ne, or, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import type { Tx } from "../../db/client";
import { onePer } from "../../db/prepared";
import { type Role, users } from "../../db/schema";
import { ApiError, conflict, notFound } from "../../lib/errors";
import { audit } from "../platform/audit";
import { emit } from "../platform/events/service";
import { issueEmailToken, supersedeEmailTokens } from "./email-tokens";
import type { UserRow } from "./serialize";
import { authResult, issueRefreshToken } from "./sessions";

export const hashPassword = (ctx: AppContext, password: string) =>
  Bun.password.hash(password, {
    algorithm: "argon2id",
    memoryCost: ctx.env.PASSWORD_MEMORY_KIB,
    timeCost: ctx.env.PASSWORD_TIME_COST,
  });

// Verified against when no user matches, so a wrong login costs the same time as a wrong password.
let dummyHash: Promise<string> | null = null;

function assertFreeLogin(tx: Tx, email?: string | null, username?: string | null, exceptId?: number) {
  const clauses = [
    email ? eq(users.email, email) : undefined,
    username ? eq(users.username, username) : undefined,
  ].filter((c) => c !== undefined);
  if (!clauses.length) return;
  const clash = tx
    .select({ id: users.id, email: users.email })
    .from(users)
    // The caller's own row is excluded in the query: picking it first would hide a clash with another user.
    .where(exceptId === undefined ? or(...clauses) : and(or(...clauses), ne(users.id, exceptId)))
    .get();
  if (clash) {
    throw conflict(clash.email === email ? "email is already registered" : "username is taken");
  }
}

type NewUser = {
  email?: string | null;
  username?: string | null;
  passwordHash?: string | null;
  role?: Role;
} & Partial<Pick<UserRow, "telegramId" | "firstName" | "lastName" | "avatarUrl">>;

export function insertUser(ctx: AppContext, tx: Tx, u: NewUser, actorId: number | null = null): UserRow {
  const now = ctx.clock.now();
  const row = tx
    .insert(users)
    .values({ ...u, role: u.role ?? "client", createdAt: now, updatedAt: now })
    .returning()
    .get();
  emit(tx, now, {
    type: "user.registered",
    actorId: actorId ?? row.id,
    subjectType: "user",
    subjectId: row.id,
    payload: { role: row.role, via: u.telegramId ? "telegram" : "password" },
  });
  return row;
}

export async function register(
  ctx: AppContext,
  input: { email: string; password: string; username?: string },
  role: Role = "client",
) {
  const passwordHash = await hashPassword(ctx, input.password);
  const { user, refresh } = ctx.db.transaction(
    (tx) => {
      if (role === "admin" && tx.select({ id: users.id }).from(users).where(eq(users.role, "admin")).get()) {
        throw conflict("an admin already exists; bootstrap is closed");
      }
      assertFreeLogin(tx, input.email, input.username);
      const user = insertUser(ctx, tx, {
        email: input.email,
        username: input.username ?? null,
        passwordHash,
        role,
      });
      if (ctx.env.SMTP_URL) issueEmailToken(ctx, tx, { id: user.id, email: input.email }, "verify_email");
      return { user, refresh: issueRefreshToken(ctx, tx, user.id) };
    },
    { behavior: "immediate" },
  );
  return authResult(ctx, user, refresh);
}

/** Where a request came from, for the audit log. */
export type RequestOrigin = { ip?: string; requestId?: string };

export async function login(
  ctx: AppContext,
  input: { login: string; password: string },
  from?: RequestOrigin,
) {
  const name = input.login.trim().toLowerCase();
  const user = ctx.db
    .select()
    .from(users)
    .where(or(eq(users.email, name), eq(users.username, name)))
    .get();
  dummyHash ??= hashPassword(ctx, "not-a-real-password");
  const ok = await Bun.password.verify(input.password, user?.passwordHash ?? (await dummyHash));
  if (!user?.passwordHash || !ok) throw new ApiError("invalid_credentials", "wrong login or password");
  if (user.isBanned) throw new ApiError("forbidden", "account is banned");
  return startSession(ctx, user, "password", from);
}

/** Records the login (event and audit row) and opens a new refresh family. */
export async function startSession(ctx: AppContext, user: UserRow, via: string, from?: RequestOrigin) {
  const now = ctx.clock.now();
  const refresh = ctx.db.transaction(
    (tx) => {
      tx.update(users).set({ lastLoginAt: now }).where(eq(users.id, user.id)).run();
      emit(tx, now, {
        type: "user.logged_in",
        actorId: user.id,
        subjectType: "user",
        subjectId: user.id,
        payload: { via },
      });
      audit(tx, now, {
        actorId: user.id,
        action: "auth.login",
        details: { via },
        ip: from?.ip,
        requestId: from?.requestId,
      });
      return issueRefreshToken(ctx, tx, user.id);
    },
    { behavior: "immediate" },
  );
  return authResult(ctx, { ...user, lastLoginAt: now }, refresh);
}

export function needsBootstrap(ctx: AppContext): boolean {
  return !ctx.db.select({ id: users.id }).from(users).where(eq(users.role, "admin")).get();
}

// Prepared once per connection: /me is on every client's start-up path.
const userById = onePer((db: AppContext["db"]) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .prepare(),
);

export function getUser(ctx: AppContext, id: number): UserRow {
  const u = userById(ctx.db).get({ id });
  if (!u) throw notFound("user");
  return u;
}

export function updateProfile(ctx: AppContext, userId: number, patch: Partial<UserRow>): UserRow {
  const now = ctx.clock.now();
  return ctx.db.transaction(
    (tx) => {
      assertFreeLogin(tx, patch.email, patch.username, userId);
      const before = tx.select({ email: users.email }).from(users).where(eq(users.id, userId)).get();
      // A new address is unverified, and links sent to the old one stop working.
      const emailChanged = before !== undefined && patch.email !== undefined && patch.email !== before.email;
      const row = tx
        .update(users)
        .set({ ...patch, ...(emailChanged ? { emailVerifiedAt: null } : {}), updatedAt: now })
        .where(eq(users.id, userId))
        .returning()
        .get();
      if (!row) throw notFound("user");
      if (emailChanged) {
        supersedeEmailTokens(tx, userId, now);
        if (row.email && ctx.env.SMTP_URL)
          issueEmailToken(ctx, tx, { id: row.id, email: row.email }, "verify_email");
      }
      emit(tx, now, {
        type: "user.profile_updated",
        actorId: userId,
        subjectType: "user",
        subjectId: userId,
        payload: { fields: Object.keys(patch) },
      });
      return row;
    },
    { behavior: "immediate" },
  );
}
