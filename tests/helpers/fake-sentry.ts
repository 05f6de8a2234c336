/**
 * A fake Sentry ingest on loopback: accepts `POST /api/<project>/envelope/` and records each
 * envelope (newline-delimited JSON: a header, then item headers and payloads).
 */
export type EnvelopeItem = { header: Record<string, any>; payload: any };
export type Envelope = {
  project: string;
  sentryKey: string | null;
  header: Record<string, any>;
  items: EnvelopeItem[];
};

async function bodyText(req: Request): Promise<string> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  const gzipped = req.headers.get("content-encoding") === "gzip" || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  return new TextDecoder().decode(gzipped ? Bun.gunzipSync(bytes) : bytes);
}

/** Item payloads are JSON lines unless the item header gives a byte length (attachments). */
function parseEnvelope(text: string): { header: Record<string, any>; items: EnvelopeItem[] } {
  const lines = text.split("\n");
  const header = JSON.parse(lines[0] || "{}");
  const items: EnvelopeItem[] = [];
  for (let i = 1; i < lines.length; i += 2) {
    if (!lines[i]) continue;
    const itemHeader = JSON.parse(lines[i]!);
    const raw = lines[i + 1] ?? "";
    let payload: unknown = raw;
    try {
      payload = JSON.parse(raw);
    } catch {}
    items.push({ header: itemHeader, payload });
  }
  return { header, items };
}

export function startFakeSentry() {
  const envelopes: Envelope[] = [];
  const waiters: { pred: (e: Envelope) => boolean; resolve(e: Envelope): void }[] = [];

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const m = /^\/api\/(\d+)\/envelope\/?$/.exec(url.pathname);
      if (req.method !== "POST" || !m) return new Response("not found", { status: 404 });
      const auth = req.headers.get("x-sentry-auth") ?? "";
      const sentryKey = url.searchParams.get("sentry_key") ?? /sentry_key=([^,\s]+)/.exec(auth)?.[1] ?? null;
      const envelope = { project: m[1]!, sentryKey, ...parseEnvelope(await bodyText(req)) };
      envelopes.push(envelope);
      for (const w of [...waiters]) {
        if (w.pred(envelope)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(envelope);
        }
      }
      return Response.json({ id: envelope.header.event_id ?? null });
    },
  });

  return {
    dsn: `http://publickey@127.0.0.1:${server.port}/1`,
    envelopes,
    /** The error events received (payloads of `event` items). */
    events() {
      return envelopes.flatMap((e) => e.items.filter((i) => i.header.type === "event").map((i) => i.payload));
    },
    /** Resolves with the first envelope (already received or next) that matches; rejects after `ms`. */
    waitFor(pred: (e: Envelope) => boolean, ms = 10_000): Promise<Envelope> {
      const seen = envelopes.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { pred, resolve };
        waiters.push(waiter);
        setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i === -1) return;
          waiters.splice(i, 1);
          reject(new Error(`no matching Sentry envelope within ${ms} ms (got ${envelopes.length})`));
        }, ms);
      });
    },
    reset() {
      envelopes.length = 0;
    },
    stop: () => server.stop(true),
  };
}

export type FakeSentry = ReturnType<typeof startFakeSentry>;

/** The event of an envelope, if it carries one. */
export const eventOf = (e: Envelope) => e.items.find((i) => i.header.type === "event")?.payload;
