import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { AppContext } from "../../../context";

/**
 * The SSRF guard of outgoing webhooks: a receiver's url must resolve only to public addresses, so
 * an admin (or later a merchant) cannot make souk call its own loopback, the cloud metadata
 * service or the private network. Checked when an endpoint is saved and again before each
 * delivery, since DNS can change; a delivery then connects to the address it checked rather than
 * asking DNS again, which could answer differently (DNS rebinding). `webhooks_allow_private_urls`
 * lifts the guard (development, tests).
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8], // "this network", unspecified
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // CGNAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, bits, "ipv4");
for (const [net, bits] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed privately)
  ["ff00::", 8], // multicast
] as const)
  blocked.addSubnet(net, bits, "ipv6");

/** The 8 groups of an IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(addr: string): number[] {
  let a = addr.split("%")[0]!;
  const dotted = a.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [p, q, r, s] = dotted[1]!.split(".").map(Number) as [number, number, number, number];
    a = `${a.slice(0, -dotted[1]!.length)}${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
}

/** An IPv4 address carried inside an IPv6 one (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96). */
function embeddedIpv4(addr: string): string | null {
  const g = ipv6Groups(addr);
  const v4 = () => `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(5) && g[5] === 0xffff) return v4();
  if (zeros(6) && (g[6] !== 0 || g[7]! > 1)) return v4();
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4();
  return null;
}

/** Whether an IP address is loopback, private, link-local, unspecified, multicast or reserved. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== null) return blocked.check(v4, "ipv4");
    return blocked.check(address.split("%")[0]!, "ipv6");
  }
  return true;
}

const refusal = (what: string) => `resolves to a loopback, private or link-local address (${what})`;

export type UrlCheck =
  /** `address`: the checked address the host resolved to, when DNS was asked; connect to it. */
  | { ok: true; url: URL; address?: string }
  /** `transient`: the host did not resolve (retry later); otherwise the url is refused for good. */
  | { ok: false; reason: string; transient?: boolean };

const dnsLookup: NonNullable<AppContext["lookupHost"]> = async (host) =>
  (await lookup(host, { all: true })).map((a) => a.address);

/**
 * Checks a receiver url: http(s) only, no credentials in it, https unless private urls are
 * allowed, and (unless they are) every address the host resolves to is public. `localhost` and
 * `*.localhost` are loopback by definition and refused without asking DNS.
 */
export async function checkWebhookUrl(
  ctx: Pick<AppContext, "settings" | "lookupHost">,
  raw: string,
): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "not a valid absolute url" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return { ok: false, reason: "only http and https urls" };
  if (url.username || url.password) return { ok: false, reason: "credentials in the url are not allowed" };
  if (ctx.settings.get("webhooks_allow_private_urls")) return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "must be https" };
  const host = url.hostname
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return { ok: false, reason: refusal(host) };
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (ctx.lookupHost ?? dnsLookup)(host);
    } catch (err) {
      return { ok: false, reason: `host does not resolve: ${(err as Error).message}`, transient: true };
    }
    if (addresses.length === 0) return { ok: false, reason: "host does not resolve", transient: true };
  }
  const bad = addresses.find(isBlockedAddress);
  if (bad !== undefined) return { ok: false, reason: refusal(bad) };
  return isIP(host) ? { ok: true, url } : { ok: true, url, address: addresses[0]! };
}
