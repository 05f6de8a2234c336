import { BlockList, isIP } from "node:net";
import type { AppContext } from "../../../context";
import type { Queryable } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import type { FraudReason } from "../../../db/schema";
import { parseRate } from "../../platform/settings/registry";

export type FraudDecision = "allow" | "review" | "deny";
export type FraudResult = { decision: FraudDecision; reasons: FraudReason[] };
export type FraudInput = {
  storeId: number;
  amountCrypto: number;
  customerId?: string | null;
  customerIp?: string | null;
};

// Velocity counts stop at the limit (LIMIT in the subquery): a busy customer costs no more than a quiet one.
const stmts = preparedPer((db) => ({
  byCustomer: prepare<{ n: number }, [number, string, number, number]>(
    db,
    `SELECT count(*) AS n FROM (SELECT 1 FROM gateway_orders
       WHERE store_id = ?1 AND customer_id = ?2 AND created_at > ?3 LIMIT ?4)`,
  ),
  byIp: prepare<{ n: number }, [string, number, number]>(
    db,
    `SELECT count(*) AS n FROM (SELECT 1 FROM gateway_orders
       WHERE customer_ip = ?1 AND created_at > ?2 LIMIT ?3)`,
  ),
}));

// The settings store hands back the same array until the setting changes: built once per value.
const blockLists = new WeakMap<readonly string[], BlockList>();
const customerSets = new WeakMap<readonly string[], Set<string>>();

/** Entries are addresses or CIDR blocks, IPv4 or IPv6; a malformed entry matches nothing. */
function blockListOf(entries: readonly string[]): BlockList {
  let list = blockLists.get(entries);
  if (list) return list;
  list = new BlockList();
  for (const raw of entries) {
    const [addr = "", bits] = raw.trim().split("/");
    const fam = isIP(addr);
    if (fam === 0) continue;
    const type = fam === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(addr, type);
    else if (/^\d{1,3}$/.test(bits) && Number(bits) <= (fam === 4 ? 32 : 128))
      list.addSubnet(addr, Number(bits), type);
  }
  blockLists.set(entries, list);
  return list;
}

export function ipDenied(entries: readonly string[], ip: string): boolean {
  const fam = isIP(ip);
  if (fam === 0 || entries.length === 0) return false;
  return blockListOf(entries).check(ip, fam === 4 ? "ipv4" : "ipv6");
}

function customerDenied(entries: readonly string[], id: string): boolean {
  if (entries.length === 0) return false;
  let set = customerSets.get(entries);
  if (!set) {
    set = new Set(entries);
    customerSets.set(entries, set);
  }
  return set.has(id);
}

const micro = (n: number) => `${(n / 1_000_000).toFixed(6)} USDT`;

/**
 * The fraud decision of a new order, from the settings and the orders already stored (read in the
 * creating transaction, so counts see every committed order): deny wins over review. Every rule
 * that fired is a reason, so support sees the whole picture.
 */
export function checkFraud(
  ctx: Pick<AppContext, "settings" | "clock">,
  db: Queryable,
  o: FraudInput,
): FraudResult {
  const s = ctx.settings;
  const deny: FraudReason[] = [];
  const review: FraudReason[] = [];

  const max = s.get("fraud_max_amount");
  if (max > 0 && o.amountCrypto > max)
    deny.push({
      code: "amount_above_max",
      message: `amount ${micro(o.amountCrypto)} is above the maximum ${micro(max)}`,
    });
  if (o.customerId && customerDenied(s.get("fraud_denied_customers"), o.customerId))
    deny.push({ code: "customer_denied", message: `customer ${o.customerId} is on the deny list` });
  if (o.customerIp && ipDenied(s.get("fraud_denied_ips"), o.customerIp))
    deny.push({ code: "ip_denied", message: `address ${o.customerIp} is on the deny list` });

  const reviewAt = s.get("fraud_review_amount");
  if (reviewAt > 0 && o.amountCrypto > reviewAt)
    review.push({
      code: "amount_above_review",
      message: `amount ${micro(o.amountCrypto)} is above the review threshold ${micro(reviewAt)}`,
    });

  const now = ctx.clock.now();
  const st = stmts(db);
  if (o.customerId) {
    const spec = s.get("fraud_velocity_customer");
    const { limit, windowMs } = parseRate(spec);
    const n = st.byCustomer.get(o.storeId, o.customerId, now - windowMs, limit)!.n;
    if (n >= limit)
      review.push({
        code: "customer_velocity",
        message: `customer ${o.customerId} already has ${n} orders of this store within the limit ${spec}`,
      });
  }
  if (o.customerIp) {
    const spec = s.get("fraud_velocity_ip");
    const { limit, windowMs } = parseRate(spec);
    const n = st.byIp.get(o.customerIp, now - windowMs, limit)!.n;
    if (n >= limit)
      review.push({
        code: "ip_velocity",
        message: `address ${o.customerIp} already has ${n} orders within the limit ${spec}`,
      });
  }

  const decision: FraudDecision = deny.length ? "deny" : review.length ? "review" : "allow";
  return { decision, reasons: [...deny, ...review] };
}
