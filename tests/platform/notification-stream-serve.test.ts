import { describe, expect, test } from "bun:test";
import { createContext } from "../../src/boot";
import { users } from "../../src/db/schema";
import { parseEnv } from "../../src/env";
import { signAccessToken } from "../../src/modules/accounts/tokens";
import { closeAllStreams, streamHub } from "../../src/modules/platform/notifications/hub";
import { notify } from "../../src/modules/platform/notifications/service";
import { makeTestApp } from "../helpers/app";
import { startServer, tempDataDir } from "../helpers/server";
import { openSse, settlesWithin } from "../helpers/sse";

describe("notification streams in a real server", () => {
  test("SIGTERM ends open streams, so `serve` drains and exits 0 instead of waiting on them", async () => {
    const dataDir = tempDataDir();
    const ctx = createContext(parseEnv({ DATA_DIR: dataDir, LOG_LEVEL: "silent", CRON_ENABLED: "false" }));
    const now = Date.now();
    const u = ctx.db
      .insert(users)
      .values({ email: "sse@test.local", username: "sse", createdAt: now, updatedAt: now })
      .returning()
      .get();
    const token = await signAccessToken(ctx.jwtSecret, u.id, u.role, now, 3600);
    ctx.sqlite.close();

    const srv = await startServer(dataDir);
    try {
      const s = await openSse(`${srv.url}/api/v1/notifications/stream`, { authorization: `Bearer ${token}` });
      expect(s.status).toBe(200);
      expect(JSON.parse((await s.next()).data)).toEqual({ unread_count: 0 });
      srv.proc.kill("SIGTERM");
      // Generous: on a loaded CI machine the child's shutdown can take seconds.
      expect(await settlesWithin(s.ended, 15_000)).toBe(true);
      expect(await settlesWithin(srv.proc.exited, 15_000)).toBe(true);
      expect(srv.proc.exitCode).toBe(0);
    } finally {
      srv.proc.kill("SIGKILL");
    }
  }, 60_000);

  test("a stream outlives Bun's idle timeout between heartbeats", async () => {
    const t = makeTestApp();
    const u = await t.user("client");
    // Bun closes a connection idle for idleTimeout seconds (checked every ~4 s, so a 1 s timeout
    // fires by 4-5 s); the stream turns that off for itself.
    const server = Bun.serve({ fetch: t.app.fetch, port: 0, hostname: "127.0.0.1", idleTimeout: 1 });
    try {
      const s = await openSse(`http://127.0.0.1:${server.port}/api/v1/notifications/stream`, {
        authorization: `Bearer ${u.token}`,
      });
      await s.next();
      expect(await settlesWithin(s.ended, 5500)).toBe(false);
      const id = t.ctx.db.transaction(
        (tx) => notify(t.ctx, tx, { userId: u.id, type: "system", title: "late", message: "m" }),
        { behavior: "immediate" },
      );
      expect((await s.next((e) => e.event === "notification")).id).toBe(String(id));
      s.close();
    } finally {
      closeAllStreams();
      expect(streamHub(t.ctx).count()).toBe(0);
      await server.stop(true);
    }
  }, 15_000);
});
