/**
 * A fake Telegram Bot API on loopback. Records every sendMessage call and can be told to
 * answer the next calls with a failure (500, 403 "bot was blocked", 429, …).
 */
export type SentMessage = { token: string; chat_id: number; text: string; body: Record<string, unknown> };

export function startFakeTelegram() {
  const sent: SentMessage[] = [];
  const failures: { status: number; description: string }[] = [];
  let calls = 0;

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
      if (!m) return Response.json({ ok: false, error_code: 404, description: "Not Found" }, { status: 404 });
      const [, token, method] = m as unknown as [string, string, string];
      if (method !== "sendMessage") {
        return Response.json(
          { ok: false, error_code: 404, description: "Not Found: method not found" },
          { status: 404 },
        );
      }
      calls++;
      const failure = failures.shift();
      if (failure) {
        return Response.json(
          { ok: false, error_code: failure.status, description: failure.description },
          { status: failure.status },
        );
      }
      const body = (await req.json()) as Record<string, unknown>;
      sent.push({ token, chat_id: Number(body.chat_id), text: String(body.text), body });
      return Response.json({
        ok: true,
        result: { message_id: sent.length, chat: { id: body.chat_id }, text: body.text, date: 0 },
      });
    },
  });

  return {
    url: `http://127.0.0.1:${server.port}`,
    /** Successful sendMessage calls, in order. */
    sent,
    /** Every sendMessage call, failed ones included. */
    get calls() {
      return calls;
    },
    /** The next `n` sendMessage calls answer 500. */
    failNext(n: number, status = 500, description = "Internal Server Error") {
      for (let i = 0; i < n; i++) failures.push({ status, description });
    },
    /** The next call answers 403 as when the user blocked the bot. */
    forbidNext(n = 1) {
      this.failNext(n, 403, "Forbidden: bot was blocked by the user");
    },
    reset() {
      sent.length = 0;
      failures.length = 0;
      calls = 0;
    },
    stop: () => server.stop(true),
  };
}

export type FakeTelegram = ReturnType<typeof startFakeTelegram>;
