import { describe, expect, test } from "bun:test";
import { checkWebhookUrl, isBlockedAddress } from "../../src/modules/platform/webhooks/url-guard";

type Lookup = (host: string) => Promise<string[]>;
/** The guard with only the setting it reads, and DNS answered by `lookupHost`. */
const check = (allowPrivate: boolean, url: string, lookupHost: Lookup) =>
  checkWebhookUrl({ settings: { get: () => allowPrivate } as never, lookupHost }, url);

describe("isBlockedAddress", () => {
  const BLOCKED = [
    "127.0.0.1",
    "127.255.255.255",
    "10.0.0.0",
    "10.255.255.255",
    "172.16.0.0",
    "172.31.255.255",
    "192.168.0.1",
    "100.64.0.0",
    "100.127.255.255",
    "169.254.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.251",
    "239.255.255.250",
    "255.255.255.255",
    "198.18.0.1",
    "::",
    "::1",
    "fc00::1",
    "fdff:ffff::1",
    "fe80::1",
    "febf::1",
    "fec0::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "0:0:0:0:0:ffff:c0a8:0101",
    "::10.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::169.254.169.254",
    "fe80::1%eth0",
    "not-an-ip",
  ];
  const PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "192.167.255.255",
    "203.0.113.10",
    "2001:4860:4860::8888",
    "2a00:1450::1",
    "fbff::1",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
  ];
  for (const a of BLOCKED) test(`blocks ${a}`, () => expect(isBlockedAddress(a)).toBe(true));
  for (const a of PUBLIC) test(`lets ${a} through`, () => expect(isBlockedAddress(a)).toBe(false));
});

describe("checkWebhookUrl with a resolver", () => {
  test("a host is refused when any of its addresses is private (a public one beside it does not help)", async () => {
    const r = await check(false, "https://hooks.example.com/x", async () => ["93.184.215.14", "10.0.0.7"]);
    expect(r).toEqual({
      ok: false,
      reason: "resolves to a loopback, private or link-local address (10.0.0.7)",
    });
  });

  test("a host with only public addresses passes; IPv4-mapped private answers are refused", async () => {
    const ok = await check(false, "https://hooks.example.com/x", async () => [
      "93.184.215.14",
      "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
    ]);
    // The delivery connects to the first address, checked here, instead of asking DNS again.
    expect(ok).toMatchObject({ ok: true, address: "93.184.215.14" });
    const mapped = await check(false, "https://hooks.example.com/x", async () => ["::ffff:192.168.1.1"]);
    expect(mapped.ok).toBe(false);
  });

  test("DNS can change between save and delivery: each check resolves again", async () => {
    const answers = [["93.184.215.14"], ["127.0.0.1"]];
    const resolve = async () => answers.shift()!;
    expect((await check(false, "https://rebind.example.com/", resolve)).ok).toBe(true);
    expect(await check(false, "https://rebind.example.com/", resolve)).toEqual({
      ok: false,
      reason: "resolves to a loopback, private or link-local address (127.0.0.1)",
    });
  });

  test("a host that does not resolve is a transient refusal (retried at delivery, 400 on save)", async () => {
    const fail = await check(false, "https://nxdomain.example.com/", async () => {
      throw new Error("getaddrinfo ENOTFOUND nxdomain.example.com");
    });
    expect(fail).toEqual({
      ok: false,
      reason: "host does not resolve: getaddrinfo ENOTFOUND nxdomain.example.com",
      transient: true,
    });
    expect(await check(false, "https://empty.example.com/", async () => [])).toMatchObject({
      ok: false,
      transient: true,
    });
  });

  test("IP literals and localhost never reach the resolver; private urls allowed skip it too", async () => {
    const never = async (): Promise<string[]> => {
      throw new Error("the resolver must not be called");
    };
    expect((await check(false, "https://203.0.113.10/", never)).ok).toBe(true);
    expect((await check(false, "https://localhost/", never)).ok).toBe(false);
    expect((await check(true, "http://internal.example/", never)).ok).toBe(true);
  });
});
