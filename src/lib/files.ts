import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Context } from "hono";
import type { AppContext } from "../context";
import type { Tx } from "../db/client";
import { type FilePurpose, files } from "../db/schema";
import type { AppEnv } from "../http/types";
import { ApiError, ServedByPrimary, validation } from "./errors";

/** What an upload may be, decided by its first bytes, not by the name or header the client sent. */
const SIGNATURES: { type: string; ext: string; test: (b: Uint8Array) => boolean }[] = [
  { type: "application/pdf", ext: "pdf", test: (b) => ascii(b, 0, "%PDF-") },
  { type: "image/png", ext: "png", test: (b) => b[0] === 0x89 && ascii(b, 1, "PNG\r\n\x1a\n") },
  { type: "image/jpeg", ext: "jpg", test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: "image/webp", ext: "webp", test: (b) => ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP") },
];
export const UPLOAD_TYPES = SIGNATURES.map((s) => s.type);

function ascii(b: Uint8Array, at: number, s: string) {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
}

export type Upload = {
  bytes: Uint8Array;
  contentType: string;
  ext: string;
  name: string;
  fields: Record<string, string>;
};

/**
 * Reads a multipart body with one file in `field`: 415 unless multipart and a PDF/PNG/JPEG/WebP by
 * content, 413 over UPLOAD_MAX_BYTES, 400 when the file is missing or empty. Other text fields
 * come back in `fields`.
 */
export async function readUpload(c: Context<AppEnv>, field = "file"): Promise<Upload> {
  const max = c.get("ctx").env.UPLOAD_MAX_BYTES;
  if (!isMultipart(c.req.header("content-type"))) {
    throw new ApiError("unsupported_media_type", "send the file as multipart/form-data");
  }
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw validation(field, "malformed multipart body");
  }
  const fields: Record<string, string> = {};
  form.forEach((v, k) => {
    if (typeof v === "string") fields[k] = v;
  });
  const file = form.get(field);
  if (!file || typeof file === "string") throw validation(field, "a file is required");
  if (file.size > max) throw new ApiError("payload_too_large", `the file exceeds ${max} bytes`);
  if (file.size === 0) throw validation(field, "the file is empty");
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sig = SIGNATURES.find((s) => s.test(bytes));
  if (!sig) {
    throw new ApiError("unsupported_media_type", `allowed file types: ${UPLOAD_TYPES.join(", ")}`);
  }
  const name = (file.name || `upload.${sig.ext}`).replace(/[^\w.\- ]+/g, "_").slice(0, 200);
  return { bytes, contentType: sig.type, ext: sig.ext, name, fields };
}

const uploadsDir = (ctx: Pick<AppContext, "env">) => join(ctx.env.DATA_DIR, "uploads");

/**
 * Writes the bytes under DATA_DIR/uploads before the database transaction (no I/O inside it).
 * Returns the storage key and a `discard` for when the transaction that records it fails.
 */
export async function writeUpload(ctx: Pick<AppContext, "env">, up: Upload) {
  const storageKey = `${randomBytes(16).toString("hex")}.${up.ext}`;
  const dir = uploadsDir(ctx);
  // Owner-only, like the database: uploads are payment proofs and identity documents.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, storageKey);
  await writeFile(path, up.bytes, { mode: 0o600, flag: "wx" });
  const sha256 = new Bun.CryptoHasher("sha256").update(up.bytes).digest("hex");
  return { storageKey, sha256, discard: () => rmSync(path, { force: true }) };
}

/** Records a written upload in the caller's transaction. */
export function insertFile(
  tx: Tx,
  now: number,
  f: { ownerId: number; purpose: FilePurpose; upload: Upload; storageKey: string; sha256: string },
) {
  return tx
    .insert(files)
    .values({
      ownerId: f.ownerId,
      purpose: f.purpose,
      storageKey: f.storageKey,
      originalName: f.upload.name,
      contentType: f.upload.contentType,
      size: f.upload.bytes.length,
      sha256: f.sha256,
      createdAt: now,
    })
    .returning()
    .get();
}

/**
 * Stores an upload: bytes first, then the row through `record` in one synchronous transaction;
 * the bytes are removed when that transaction throws, so no orphan file outlives a refused change.
 */
export async function storeUpload<T>(
  ctx: AppContext,
  up: Upload,
  record: (written: { storageKey: string; sha256: string }) => T,
): Promise<T> {
  const written = await writeUpload(ctx, up);
  try {
    return record(written);
  } catch (err) {
    written.discard();
    throw err;
  }
}

/** Streams a stored file; callers check who may see it first. Always a download, never rendered inline. */
export function fileResponse(ctx: Pick<AppContext, "env">, f: typeof files.$inferSelect): Response {
  const path = join(uploadsDir(ctx), f.storageKey);
  // An edge node has the row (replicated) but not the bytes, unless DATA_DIR/uploads is shared.
  if (ctx.env.PRIMARY_URL && !existsSync(path)) throw new ServedByPrimary(f.storageKey);
  const blob = Bun.file(path);
  return new Response(blob, {
    headers: {
      "content-type": f.contentType,
      "content-length": String(f.size),
      "content-disposition": `attachment; filename="${f.originalName.replace(/"/g, "")}"`,
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-store",
    },
  });
}

type JsonSchema = { type: "string" | "integer"; minLength?: number; maxLength?: number; format?: string };

/**
 * OpenAPI description of a multipart body with one `file` field plus `extra` text fields. A plain
 * schema object on purpose: a zod schema here makes @hono/zod-openapi parse and check the form
 * before the handler (refusing `multipart/form-data; charset=…; boundary=…`, and answering a
 * missing file with its own 400), while readUpload() is the one place uploads are judged.
 */
export const multipartBody = (extra: Record<string, JsonSchema> = {}) => ({
  body: {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object" as const,
          properties: { file: { type: "string" as const, format: "binary" }, ...extra },
          required: ["file", ...Object.keys(extra)],
        },
      },
    },
  },
});

export const isMultipart = (contentType: string | undefined) =>
  contentType?.toLowerCase().startsWith("multipart/form-data") ?? false;

/** The public shape of a file row. */
export const serializeFile = (f: typeof files.$inferSelect) => ({
  id: f.id,
  name: f.originalName,
  content_type: f.contentType,
  size: f.size,
  sha256: f.sha256,
  created_at: new Date(f.createdAt).toISOString(),
});
