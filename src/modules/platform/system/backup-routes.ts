import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../../http/auth";
import { clientIpOf } from "../../../http/client-ip";
import { ApiError } from "../../../lib/errors";
import { createRouter, errors, json, secured, z } from "../../../lib/openapi";
import { offset, PageQuery, page, pageSchema } from "../../../lib/pagination";
import { iso } from "../../../lib/time";
import { BackupError } from "./backup";
import { backupsDir, listBackups } from "./backup-files";
import { createBackup } from "./backup-service";

const tags = ["admin: system"];
/** Admins only (through `*`), like running a schedule: a backup is a full copy of every table. */
const PERMISSION = "system:run";

const BackupSchema = z
  .object({
    file: z.string().openapi({ example: "souk-20261122T100000Z.db" }),
    path: z.string().openapi({
      description: "Where the file is on the server",
      example: "/data/backups/souk-20261122T100000Z.db",
    }),
    bytes: z.number().int(),
    ms: z.number().int().openapi({ description: "How long the copy and its checks took" }),
    integrity: z.literal("ok").openapi({ description: "PRAGMA integrity_check of the copy" }),
    ledger: z.literal("balanced").openapi({
      description: "Every currency's account balances sum to zero and each balance equals its transfers",
    }),
    tables: z.number().int(),
    rows: z.number().int().openapi({ description: "Rows in all tables of the copy" }),
    created_at: z.string(),
  })
  .openapi("Backup");

const BackupFileSchema = z
  .object({
    file: z.string(),
    bytes: z.number().int(),
    created_at: z.string().openapi({ description: "The UTC time in the file's name" }),
  })
  .openapi("BackupFile");

/** Backups into DATA_DIR/backups on demand, and the list of them. */
export const backupRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/system/backup",
      tags,
      summary: "Back the database up now into DATA_DIR/backups, verified (integrity_check, ledger balanced)",
      ...secured(PERMISSION),
      responses: {
        201: json(BackupSchema, "Written and verified"),
        ...errors(401, 403, 409),
      },
    }),
    async (c) => {
      const ctx = c.get("ctx");
      const actor = { id: principalOf(c).user.id, ip: clientIpOf(c), requestId: c.get("requestId") };
      try {
        return c.json(await createBackup(ctx, { kind: "admin", actor }), 201);
      } catch (e) {
        if (!(e instanceof BackupError)) throw e;
        // Not the caller's fault, and not a crash: say what failed (the copy is already deleted).
        throw new ApiError("internal", `backup failed: ${e.message}`, { reason: e.reason });
      }
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/system/backups",
      tags,
      summary: "Backups in DATA_DIR/backups (souk-<UTC time>.db), newest first, with their sizes",
      ...secured(PERMISSION),
      request: { query: PageQuery.strict() },
      responses: { 200: json(pageSchema(BackupFileSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const all = listBackups(backupsDir(c.get("ctx").env.DATA_DIR));
      const results = all
        .slice(offset(q), offset(q) + q.page_size)
        .map((b) => ({ file: b.file, bytes: b.bytes, created_at: iso(b.createdAt) }));
      return c.json(page(c.req.url, q, all.length, results), 200);
    },
  );
