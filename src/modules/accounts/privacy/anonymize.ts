import { rmSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { AppContext } from "../../../context";
import { sqliteOf } from "../../../db/prepared";
import { users } from "../../../db/schema";
import { conflict, forbidden, notFound } from "../../../lib/errors";
import { iso } from "../../../lib/time";
import { recordAdminAction } from "../../platform/audit";
import { streamHub } from "../../platform/notifications/hub";
import type { AdminActor } from "../admin";
import { END_USER_PERMISSIONS, hasPermission, permissionsFor } from "../permissions";
import { REDACTED, Redactor, sweep } from "./redact";

export const ANONYMIZED_EVENT = "user.anonymized";

export type AnonymizeSummary = {
  id: number;
  anonymized_at: string;
  sessions_revoked: number;
  api_keys_revoked: number;
  files_deleted: number;
  messages_redacted: number;
  reviews_redacted: number;
  requisites_redacted: number;
  notifications_deleted: number;
  /** Rows elsewhere (events, audit details, notifications, payloads, others' texts) that named them. */
  records_redacted: number;
  jobs_cancelled: number;
};

/**
 * Irreversibly removes a user's personal data, in one transaction: the account row (login names
 * become `deleted-<id>`, names, bio, contacts, avatar and password cleared; banned, so any token
 * still held is refused), expert application texts, the trader's requisites (details and owner
 * replaced, blocked), their chat messages and review comments, their notifications, sign-in links
 * and uploads (rows here, bytes after commit; orders that pointed at them keep no reference),
 * and every other copy of their email, login, names and requisite details souk wrote elsewhere.
 * Sessions and API keys are revoked and live streams closed. Money records (ledger, orders,
 * purchases, gateway orders) are kept as they are, so balances and the ledger stay consistent.
 * Admins and the caller themself are refused; a second call is a conflict.
 */
export function anonymizeUser(ctx: AppContext, actor: AdminActor, targetId: number): AnonymizeSummary {
  // Freed space is zeroed while this runs, so replaced text does not linger in free pages.
  const secure =
    ctx.sqlite.query<{ secure_delete: number }, []>("PRAGMA secure_delete").get()?.secure_delete ?? 0;
  ctx.sqlite.run("PRAGMA secure_delete = ON");
  try {
    return finish(ctx, anonymizeInTransaction(ctx, actor, targetId));
  } finally {
    ctx.sqlite.run(`PRAGMA secure_delete = ${secure ? "ON" : "OFF"}`);
  }
}

function anonymizeInTransaction(ctx: AppContext, actor: AdminActor, targetId: number) {
  return ctx.db.transaction(
    (tx) => {
      const db = sqliteOf(tx);
      const now = ctx.clock.now();
      const target = tx.select().from(users).where(eq(users.id, targetId)).get();
      if (!target) throw notFound("user");
      if (target.anonymizedAt != null) {
        throw conflict("this account is already anonymised", { anonymized_at: iso(target.anonymizedAt) });
      }
      if (target.id === actor.id) throw conflict("you cannot anonymise your own account");
      if (target.role === "admin")
        throw forbidden("an admin account cannot be anonymised: change its role first");
      if (actor.permissions) {
        const ceiling = [...actor.permissions, ...END_USER_PERMISSIONS];
        const beyond = permissionsFor(target.role, target.grantedPermissions).filter(
          (p) => !hasPermission(ceiling, p),
        );
        if (beyond.length) throw forbidden(`this user holds permissions beyond yours: ${beyond.join(", ")}`);
      }

      const run = (sql: string, ...params: (string | number | null)[]) =>
        db.query(sql).run(...params).changes;
      const traderIds = "SELECT id FROM gateway_traders WHERE user_id = ?";

      // What to look for elsewhere, read before anything is replaced.
      const requisites = db
        .query<{ details: string; owner_name: string }, [number]>(
          `SELECT details, owner_name FROM gateway_requisites WHERE trader_id IN (${traderIds})`,
        )
        .all(targetId);
      const fullName = [target.firstName, target.lastName].filter(Boolean).join(" ");
      const redactor = new Redactor({
        strings: [
          target.email,
          target.username,
          target.firstName,
          target.lastName,
          fullName,
          ...requisites.flatMap((r) => [r.details, r.owner_name]),
        ].filter((s): s is string => typeof s === "string"),
        telegramId: target.telegramId,
      });

      // Uploads: orders keep no reference to a deleted file; documents are the files' own rows.
      const ownFiles = "SELECT id FROM files WHERE owner_id = ?";
      const storageKeys = db
        .query<{ storage_key: string }, [number]>("SELECT storage_key FROM files WHERE owner_id = ?")
        .all(targetId)
        .map((f) => f.storage_key);
      if (storageKeys.length) {
        run(
          `UPDATE orders SET payment_proof_file_id = NULL WHERE payment_proof_file_id IN (${ownFiles})`,
          targetId,
        );
        for (const col of ["customer_receipt_id", "trader_receipt_id", "dispute_receipt_id"]) {
          run(`UPDATE gateway_orders SET ${col} = NULL WHERE ${col} IN (${ownFiles})`, targetId);
        }
        run(`DELETE FROM expert_documents WHERE file_id IN (${ownFiles})`, targetId);
        run("DELETE FROM files WHERE owner_id = ?", targetId);
      }

      const sessions = run(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        now,
        targetId,
      );
      const keyIds = db
        .query<{ id: number }, [number]>("SELECT id FROM api_keys WHERE user_id = ?")
        .all(targetId)
        .map((k) => k.id);
      const keys = run(
        "UPDATE api_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        now,
        targetId,
      );
      run("DELETE FROM stream_tickets WHERE user_id = ?", targetId);
      run("DELETE FROM email_tokens WHERE user_id = ?", targetId);
      // Kept answers (24 h) of the user's own requests and keys: sealed, but theirs.
      const callers = [`user:${targetId}`, ...keyIds.map((k) => `key:${k}`)];
      run(
        `DELETE FROM idempotency_keys WHERE caller IN (${callers.map(() => "?").join(", ")}) OR caller LIKE ?`,
        ...callers,
        `act:%:${targetId}`,
      );

      tx.update(users)
        .set({
          email: `deleted-${targetId}`,
          username: `deleted-${targetId}`,
          passwordHash: null,
          telegramId: null,
          firstName: null,
          lastName: null,
          bio: null,
          experienceYears: null,
          education: null,
          skills: null,
          avatarUrl: null,
          emailVerifiedAt: null,
          grantedPermissions: [],
          isBanned: true,
          banReason: "account anonymised",
          bannedAt: target.bannedAt ?? now,
          anonymizedAt: now,
          updatedAt: now,
        })
        .where(eq(users.id, targetId))
        .run();
      run(
        "UPDATE expert_applications SET bio = NULL, education = NULL, skills = NULL, experience_years = NULL, updated_at = ? WHERE user_id = ?",
        now,
        targetId,
      );
      const messages = run("UPDATE order_messages SET body = ? WHERE sender_id = ?", REDACTED, targetId);
      const reviews =
        run("UPDATE reviews SET comment = NULL WHERE author_id = ? AND comment IS NOT NULL", targetId) +
        run(
          "UPDATE course_enrollments SET review = NULL, updated_at = ? WHERE user_id = ? AND review IS NOT NULL",
          now,
          targetId,
        );
      const notifications = run("DELETE FROM notifications WHERE user_id = ?", targetId);
      // Blocked as well: a requisite with no real details must never be offered to a customer.
      const requisitesRedacted = run(
        `UPDATE gateway_requisites SET details = ?, owner_name = ?, status = 'blocked', updated_at = ? WHERE trader_id IN (${traderIds})`,
        REDACTED,
        REDACTED,
        now,
        targetId,
      );
      run("UPDATE gateway_traders SET in_work = 0, updated_at = ? WHERE user_id = ?", now, targetId);

      const swept = sweep(db, redactor, now);

      const summary: AnonymizeSummary = {
        id: targetId,
        anonymized_at: iso(now),
        sessions_revoked: sessions,
        api_keys_revoked: keys,
        files_deleted: storageKeys.length,
        messages_redacted: messages,
        reviews_redacted: reviews,
        requisites_redacted: requisitesRedacted,
        notifications_deleted: notifications,
        records_redacted: swept.rows,
        jobs_cancelled: swept.jobsCancelled,
      };
      // Counts only: the audit row and the event must not carry what was just removed.
      const { id: _, anonymized_at: __, ...counts } = summary;
      recordAdminAction(tx, now, actor, {
        action: ANONYMIZED_EVENT,
        targetType: "user",
        targetId,
        details: { ...counts, role: target.role, redacted_by_table: swept.byTable },
        changed: true,
      });
      // Like a ban: the user's open notification streams end once this commits.
      streamHub(ctx).userBanned(targetId);
      return { summary, storageKeys };
    },
    { behavior: "immediate" },
  );
}

function finish(
  ctx: AppContext,
  { summary, storageKeys }: { summary: AnonymizeSummary; storageKeys: string[] },
): AnonymizeSummary {
  // The bytes go after the commit: a rolled-back change must not lose files its rows still name.
  const dir = join(ctx.env.DATA_DIR, "uploads");
  for (const key of storageKeys) {
    try {
      rmSync(join(dir, key), { force: true });
    } catch (err) {
      ctx.logger.warn({ err, storage_key: key }, "an anonymised user's upload could not be removed");
    }
  }
  return summary;
}
