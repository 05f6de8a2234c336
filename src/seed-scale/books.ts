import type { TransferKind } from "../db/schema";
import type { AccountRef } from "../modules/ledger/service";
import type { Writer } from "./writer";

type Account = { id: number; balance: number; allowNegative: boolean };

export type Move = {
  from: AccountRef;
  to: AccountRef;
  amount: number;
  kind: TransferKind;
  key: string;
  reference: { type: string; id: number };
  metadata: Record<string, unknown>;
};

/**
 * The ledger as the generator keeps it: every transfer is a row written at its instant, exactly
 * as `transfer` (modules/ledger/service.ts) writes it; balances are kept here and written once at
 * the end (the cached balance of each account then equals the sum of its transfers).
 */
export class Books {
  /** By owner type, kind, currency, then owner id: constant keys but the last, no key string built per look-up. */
  private readonly accounts = new Map<string, Map<string, Map<string, Map<string, Account>>>>();
  /** In the order they were opened. */
  private readonly opened: Account[] = [];

  constructor(private readonly w: Writer) {}

  private owners(r: AccountRef): Map<string, Account> {
    const level = <V>(m: Map<string, V>, key: string, make: () => V): V => {
      let v = m.get(key);
      if (v === undefined) {
        v = make();
        m.set(key, v);
      }
      return v;
    };
    const byKind = level(this.accounts, r.ownerType, () => new Map());
    const byCurrency = level(byKind, r.kind, () => new Map());
    return level(byCurrency, r.currency, () => new Map<string, Account>());
  }

  private account(r: AccountRef, t: number): Account {
    const owners = this.owners(r);
    let a = owners.get(r.ownerId);
    if (!a) {
      const allowNegative = r.allowNegative === true;
      const id = this.w.insert(
        "ledger_accounts",
        r.ownerType,
        r.ownerId,
        r.kind,
        r.currency,
        0,
        allowNegative ? 1 : 0,
        t,
      );
      a = { id, balance: 0, allowNegative };
      owners.set(r.ownerId, a);
      this.opened.push(a);
    }
    return a;
  }

  balance(r: AccountRef): number {
    return this.accounts.get(r.ownerType)?.get(r.kind)?.get(r.currency)?.get(r.ownerId)?.balance ?? 0;
  }

  /** One transfer at `t`; a non-negative account going below zero is a bug in the generator. */
  move(t: number, m: Move) {
    if (!Number.isSafeInteger(m.amount) || m.amount <= 0)
      throw new Error(`bad amount ${m.amount} (${m.key})`);
    if (m.from.currency !== m.to.currency) throw new Error(`transfer between currencies (${m.key})`);
    const from = this.account(m.from, t);
    const to = this.account(m.to, t);
    if (!from.allowNegative && from.balance < m.amount) {
      throw new Error(`generator bug: ${m.key} takes ${m.amount} from a balance of ${from.balance}`);
    }
    this.w.insert(
      "ledger_transfers",
      from.id,
      to.id,
      m.amount,
      m.from.currency,
      m.kind,
      m.reference.type,
      String(m.reference.id),
      m.key,
      JSON.stringify(m.metadata),
      t,
    );
    from.balance -= m.amount;
    to.balance += m.amount;
  }

  /** Writes every account's balance. */
  flush() {
    for (const a of this.opened) {
      if (a.balance !== 0) this.w.run("UPDATE ledger_accounts SET balance = ? WHERE id = ?", a.balance, a.id);
    }
  }
}
