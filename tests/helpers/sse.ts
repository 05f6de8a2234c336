/** A Server-Sent Events frame as a client sees it; comments (`: ping`) come as event "comment". */
export type SseEvent = { event: string; data: string; id?: string };

export type SseClient = {
  status: number;
  headers: Headers;
  /** Every frame received so far, in order. */
  events: SseEvent[];
  /** The next frame (after those already taken) matching `pred`, or throws after `timeoutMs`. */
  next(pred?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
};

/** Parses one frame (the text between blank lines) the way EventSource does. */
export function parseFrame(frame: string): SseEvent | null {
  let event = "message";
  const data: string[] = [];
  let id: string | undefined;
  let comment: string | null = null;
  for (const line of frame.split(/\r\n|\r|\n/)) {
    if (line.startsWith(":")) {
      comment = line.slice(1).trim();
      continue;
    }
    const i = line.indexOf(":");
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
  if (!data.length && id === undefined && event === "message")
    return comment === null ? null : { event: "comment", data: comment };
  return { event, data: data.join("\n"), ...(id === undefined ? {} : { id }) };
}

/** Opens `url` with a streaming fetch and parses frames as they arrive. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: abort.signal,
  });
  const events: SseEvent[] = [];
  let taken = 0;
  // An object, not a let: TypeScript would narrow a closure-assigned variable to null.
  const waiter: { wake: (() => void) | null } = { wake: null };
  let done = false;
  const ended = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { value, done: eof } = await reader.read();
        if (eof) break;
        buf += decoder.decode(value, { stream: true });
        let cut = buf.indexOf("\n\n");
        while (cut !== -1) {
          const e = parseFrame(buf.slice(0, cut));
          buf = buf.slice(cut + 2);
          if (e) events.push(e);
          cut = buf.indexOf("\n\n");
        }
        waiter.wake?.();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      waiter.wake?.();
    }
  })();

  async function next(pred: (e: SseEvent) => boolean = () => true, timeoutMs = 2000): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (taken < events.length) {
        const e = events[taken++]!;
        if (pred(e)) return e;
      }
      if (done) throw new Error(`stream ended; got ${JSON.stringify(events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        waiter.wake = () => {
          clearTimeout(timer);
          waiter.wake = null;
          resolve();
        };
      });
    }
  }

  return {
    status: res.status,
    headers: res.headers,
    events,
    next,
    ended,
    close: () => abort.abort(),
  };
}

/** Resolves true if `p` settles within `ms`. */
export const settlesWithin = (p: Promise<unknown>, ms: number) =>
  Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);
