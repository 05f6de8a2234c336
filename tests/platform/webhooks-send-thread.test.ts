import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { SendRequest } from "../../src/modules/platform/webhooks/send";
import { useSender } from "../../src/modules/platform/webhooks/send";
import { startSendThread } from "../../src/modules/platform/webhooks/send-thread";
import { makeTestApp } from "../helpers/app";
import { startWebhookReceiver, verifyAt } from "../helpers/webhook-receiver";

const WORKER = new URL("../../src/modules/platform/webhooks/send-worker.ts", import.meta.url);
const rx = startWebhookReceiver();
const logged: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logged.push(line) });
const thread = startSendThread(WORKER, logger);
afterAll(() => {
  thread.stop();
  rx.stop();
});
beforeEach(() => rx.reset());

const req = (path: string, timeoutMs = 5000): SendRequest => ({
  url: `${rx.url}${path}`,
  headers: { "content-type": "application/json", "webhook-id": `msg_${path.slice(1)}` },
  body: JSON.stringify({ path }),
  timeoutMs,
});

describe("the webhook sender thread", () => {
  test("sends requests made together as one batch and answers each with its own result", async () => {
    rx.answer({ status: 204 }, { status: 500, body: "receiver broke" }, { status: 302 });
    const [a, b, c] = await Promise.all([
      thread.send(req("/a")),
      thread.send(req("/b")),
      thread.send(req("/c")),
    ]);
    expect(a).toMatchObject({ ok: true, status: 204, text: "" });
    expect(b).toMatchObject({ ok: true, status: 500, text: "receiver broke" });
    // Redirects are answered as they are, never followed.
    expect(c).toMatchObject({ ok: true, status: 302 });
    expect(rx.received.map((r) => r.path).sort()).toEqual(["/a", "/b", "/c"]);
    expect(rx.received.find((r) => r.path === "/a")!.headers["webhook-id"]).toBe("msg_a");
    expect(logged.some((l) => l.includes("webhook sender thread running"))).toBe(true);
  });

  test("a receiver that does not answer in time is a timeout; one that refuses is an error", async () => {
    rx.answer({ delayMs: 400 });
    const slow = await thread.send(req("/slow", 100));
    expect(slow).toMatchObject({ ok: false, timeout: true });
    const refused = await thread.send({ ...req("/x"), url: "http://127.0.0.1:9/nothing-listens" });
    expect(refused).toMatchObject({ ok: false, timeout: false });
  });

  test.if(process.platform === "linux")(
    "runs at nice 10 (its own thread only: the API's thread keeps its priority)",
    async () => {
      // The nice of a thread: field 19 of its stat line (16 after the command's closing paren).
      const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
      for (let i = 0; i < 100 && !logged.some((l) => l.includes("sender thread running")); i++)
        await Bun.sleep(10);
      const ready = JSON.parse(logged.find((l) => l.includes("sender thread running"))!);
      // Tests may themselves run under `nice`: the thread goes to 10 unless it started lower.
      const api = niceOf(readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8"));
      expect(ready.nice).toBe(Math.max(10, api));
      expect(niceOf(readFileSync(`/proc/self/task/${ready.tid}/stat`, "utf8"))).toBe(Math.max(10, api));
      expect(ready.tid).not.toBe(process.pid);
    },
  );

  test("in one batch, a hanging receiver times out on the batch's timer and the others answer", async () => {
    // Answers go to requests in arrival order: the first to arrive waits 1 s, the rest at once.
    rx.answer({ delayMs: 1000 });
    const t0 = performance.now();
    const results = await Promise.all(["/one", "/two", "/three"].map((p) => thread.send(req(p, 300))));
    expect(results.filter((r) => !r.ok && r.timeout)).toHaveLength(1);
    expect(results.filter((r) => r.ok && r.status === 204)).toHaveLength(2);
    // The batch ends with its timer, not with the hanging answer.
    expect(performance.now() - t0).toBeLessThan(900);
  });

  test("without its worker file it falls back to sending from this thread", async () => {
    const lines: string[] = [];
    const broken = startSendThread(
      join(tmpdir(), "no-such-send-worker.ts"),
      pino({ level: "warn" }, { write: (l: string) => void lines.push(l) }),
    );
    try {
      const r = await broken.send(req("/fallback"));
      expect(r).toMatchObject({ ok: true, status: 204 });
      expect(rx.received.map((x) => x.path)).toEqual(["/fallback"]);
      expect(lines.some((l) => l.includes("sending from the main thread"))).toBe(true);
    } finally {
      broken.stop();
    }
  });

  test("a delivery job sends through it: signed, recorded as succeeded", async () => {
    const t = makeTestApp();
    t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
    useSender(t.ctx, thread.send);
    const admin = await t.user("admin");
    const ep = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url: `${rx.url}/hook`, event_types: ["package.*"] },
    });
    await t.call("POST", "/api/v1/admin/packages", {
      token: admin.token,
      body: { name: "Starter", seconds: 3600, price: 49000, currency: "RUB", validity_days: 30 },
    });
    expect(await t.ctx.jobs.drain(t.ctx)).toBe(1);
    expect(rx.received).toHaveLength(1);
    expect(verifyAt(ep.body.secret, rx.received[0]!, t.clock.now())).toMatchObject({
      type: "package.created",
    });
    const d = t.ctx.sqlite.query("SELECT status, attempts, last_status_code FROM webhook_deliveries").get();
    expect(d).toEqual({ status: "succeeded", attempts: 1, last_status_code: 204 });
  });
});
