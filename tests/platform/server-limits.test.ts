import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createContext, jwtSecretFor } from "../../src/boot";
import { users } from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { sha256Hex } from "../../src/lib/crypto";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { type RunningServer, startServer, tempDataDir } from "../helpers/server";

// A real server process: Bun.serve's own body limit and a kill -9 are only visible there.
const dir = tempDataDir();
let server: RunningServer;
let token: string;
let userId: number;

beforeAll(async () => {
  const env = parseEnv({ DATA_DIR: dir, LOG_LEVEL: "silent", CRON_ENABLED: "false" });
  const ctx = createContext(env);
  const now = Date.now();
  const u = ctx.db
    .insert(users)
    .values({
      email: "expert@test.local",
      username: "expert",
      role: "expert",
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
  userId = u.id;
  token = await signAccessToken(jwtSecretFor(env), u.id, u.role, now, 3600);
  ctx.sqlite.close();
  server = await startServer(dir);
});
afterAll(async () => {
  await server.stop();
});

const pdf = (bytes: number) => {
  const b = new Uint8Array(bytes);
  b.set([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34]);
  return b;
};

describe("body limits on a real server", () => {
  test("a 3 MiB PDF is accepted (UPLOAD_MAX_BYTES is 10 MiB)", async () => {
    const form = new FormData();
    form.set("file", new File([pdf(3 * 1024 * 1024)], "diploma.pdf"));
    form.set("title", "Diploma");
    const r = await fetch(`${server.url}/api/v1/experts/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(r.status).toBe(201);
    expect(((await r.json()) as { file: { size: number } }).file.size).toBe(3 * 1024 * 1024);
    // Owner-only on disk: the database (and its WAL), the uploads folder and the file in it.
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(join(dir, "souk.db"))).toBe(0o600);
    expect(mode(join(dir, "souk.db-wal"))).toBe(0o600);
    expect(mode(join(dir, "uploads"))).toBe(0o700);
    for (const f of readdirSync(join(dir, "uploads"))) expect(mode(join(dir, "uploads", f))).toBe(0o600);
  });

  test.each([
    ["just over the JSON limit", 1024 * 1024 + 10],
    ["over twice the JSON limit", 5 * 1024 * 1024],
    ["over the upload limit", 12 * 1024 * 1024],
  ])("a JSON body %s gets 413 with the envelope and a request id", async (_n, size) => {
    const body = `{"bio":"${"a".repeat(size)}"}`;
    const r = await fetch(`${server.url}/api/v1/me`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
    });
    expect(r.status).toBe(413);
    const e = (await r.json()) as { error: { code: string; request_id: string } };
    expect(e.error.code).toBe("payload_too_large");
    expect(e.error.request_id).toBe(r.headers.get("x-request-id")!);
  });

  test("a multipart body over UPLOAD_MAX_BYTES gets 413 with the envelope", async () => {
    const form = new FormData();
    form.set("file", new File([pdf(11 * 1024 * 1024)], "big.pdf"));
    form.set("title", "Big");
    const r = await fetch(`${server.url}/api/v1/experts/documents`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });
});

describe("a crash does not leave Idempotency-Keys running", () => {
  test("after kill -9 a retry of a request the dead process had claimed runs again instead of 409", async () => {
    const dead = server.proc.pid;
    expect(await server.stop("SIGKILL")).not.toBe(0);
    // What the killed process left behind: its claim on the key, mid-request.
    const db = new Database(join(dir, "souk.db"));
    const caller = `user:${userId}`;
    db.query(
      "INSERT INTO idempotency_keys (caller, key, method, path, request_hash, owner, created_at) VALUES (?, ?, 'POST', '/api/v1/notifications/read-all', 'x', ?, ?)",
    ).run(caller, sha256Hex(`${caller}\nretry-1`), `${dead}:0123456789ab`, Date.now());
    db.close();
    server = await startServer(dir);
    const retry = () =>
      fetch(`${server.url}/api/v1/notifications/read-all`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "idempotency-key": "retry-1" },
      });
    const r = await retry();
    expect(r.status).toBe(200);
    const again = await retry();
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });
});
