import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { write } from "../../src/db/write";
import { enqueueDelivery } from "../../src/modules/platform/webhooks/deliveries";
import { createEndpoint } from "../../src/modules/platform/webhooks/endpoints";
import { type SendRequest, sendOnce } from "../../src/modules/platform/webhooks/send";
import { makeTestApp } from "../helpers/app";
import { startWebhookReceiver } from "../helpers/webhook-receiver";

// A receiver with a certificate for `hook.test` only, from a test CA (tests/fixtures/tls, valid to 2126).
const TLS = new URL("../fixtures/tls/", import.meta.url);
const ca = await Bun.file(new URL("ca.pem", TLS)).text();
const tlsRx = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  tls: { cert: Bun.file(new URL("hook.test.pem", TLS)), key: Bun.file(new URL("hook.test.key", TLS)) },
  fetch: (req) => new Response(null, { status: 204, headers: { "x-host": req.headers.get("host") ?? "" } }),
});
const rx = startWebhookReceiver();
afterAll(() => {
  tlsRx.stop(true);
  rx.stop();
});
beforeEach(() => rx.reset());

/** Bun's fetch trusting the test CA, as it trusts the public ones in production. */
const fetchTrustingTestCa = ((url: string, init: RequestInit & { tls?: object }) =>
  fetch(url, { ...init, tls: { ...init.tls, ca } } as RequestInit)) as typeof fetch;

const req = (url: string, connectTo?: string): SendRequest => ({
  url,
  headers: { "content-type": "application/json" },
  body: "{}",
  timeoutMs: 5000,
  connectTo,
});

describe("a delivery connects to the address the SSRF guard checked", () => {
  test("http: the request goes to the address, with the url's host in Host; DNS is not asked", async () => {
    const port = new URL(rx.url).port;
    // `.invalid` never resolves: the request can only arrive through the address given.
    const r = await sendOnce(fetch, req(`http://rebind.invalid:${port}/hook`, "127.0.0.1"));
    expect(r).toMatchObject({ ok: true, status: 204 });
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0]!.path).toBe("/hook");
    expect(rx.received[0]!.headers.host).toBe(`rebind.invalid:${port}`);
  });

  test("https: TLS names the host (SNI) and its certificate must match the host, not the address", async () => {
    const ok = await sendOnce(fetchTrustingTestCa, req(`https://hook.test:${tlsRx.port}/hook`, "127.0.0.1"));
    expect(ok).toMatchObject({ ok: true, status: 204 });
    // The same address under another name: the certificate does not match it, so nothing is sent.
    const other = await sendOnce(
      fetchTrustingTestCa,
      req(`https://other.test:${tlsRx.port}/hook`, "127.0.0.1"),
    );
    expect(other.ok).toBe(false);
    if (!other.ok) expect(other.error).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  test("an IPv6 address is put in brackets", async () => {
    const seen: string[] = [];
    const f = (async (url: string) => {
      seen.push(url);
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    await sendOnce(f, req("https://hooks.example.com:8443/a?b=1", "2606:2800:21f:cb07::1"));
    expect(seen).toEqual(["https://[2606:2800:21f:cb07::1]:8443/a?b=1"]);
  });

  test("a delivery to a host that resolves differently the next time still goes to the checked address", async () => {
    // DNS rebinding: a public answer for the check, a loopback one for whoever asks next.
    const answers = [["93.184.215.14"], ["93.184.215.14"], ["127.0.0.1"]];
    const lookups: string[] = [];
    const calls: { url: string; host: string | null; serverName?: string }[] = [];
    const t = makeTestApp(
      {},
      {
        lookupHost: async (host) => {
          lookups.push(host);
          return answers.shift() ?? ["127.0.0.1"];
        },
        fetch: (async (url: string, init: RequestInit & { tls?: { serverName?: string } }) => {
          calls.push({
            url,
            host: new Headers(init.headers).get("host"),
            serverName: init.tls?.serverName,
          });
          return new Response(null, { status: 204 });
        }) as typeof fetch,
      },
    );
    const admin = await t.user("admin");
    const saved = await t.call("POST", "/api/v1/admin/webhooks", {
      token: admin.token,
      body: { url: "https://hooks.example.com/hook", event_types: ["package.*"] },
    });
    expect(saved.status).toBe(201);
    const pkg = await t.call("POST", "/api/v1/admin/packages", {
      token: admin.token,
      body: { name: "Starter", seconds: 3600, price: 49000, currency: "RUB", validity_days: 30 },
    });
    expect(pkg.status).toBe(201);
    await t.ctx.jobs.drain(t.ctx);
    // Asked on save and once before the attempt; the request itself asked nobody.
    expect(lookups).toEqual(["hooks.example.com", "hooks.example.com"]);
    expect(calls).toEqual([
      { url: "https://93.184.215.14/hook", host: "hooks.example.com", serverName: "hooks.example.com" },
    ]);
    const d = t.ctx.sqlite.query("SELECT status FROM webhook_deliveries").get() as { status: string };
    expect(d.status).toBe("succeeded");
  });

  test("an endpoint whose url is an IP address, or any url while private urls are allowed, is sent as it is", async () => {
    const calls: string[] = [];
    const t = makeTestApp(
      {},
      {
        lookupHost: async () => {
          throw new Error("DNS must not be asked");
        },
        fetch: (async (url: string) => {
          calls.push(url);
          return new Response(null, { status: 204 });
        }) as typeof fetch,
      },
    );
    for (const url of ["https://93.184.215.14/a", "https://hooks.example.com/b"]) {
      if (url.includes("example"))
        t.ctx.settings.setNow({ webhooks_allow_private_urls: true }, t.clock.now());
      write(t.ctx, (tx) => {
        const { endpoint } = createEndpoint(t.ctx, tx, {
          url,
          eventTypes: [],
          enabled: true,
        });
        enqueueDelivery(t.ctx, tx, endpoint.id, { type: "store.ping", payload: {} });
      });
      await t.ctx.jobs.drain(t.ctx);
    }
    expect(calls).toEqual(["https://93.184.215.14/a", "https://hooks.example.com/b"]);
  });
});
