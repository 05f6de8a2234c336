import type { Queryable } from "../../db/client";
import { type AccountRef, balanceOf } from "../ledger/service";

/** USDT balances are micro-units (6 decimals) in the ledger currency `USDT`. */
export const USDT = "USDT" as const;
export const MICRO = 1_000_000;

/** Fiat minor units to USDT micro-units at a rate of fiat minor units per 1 USDT (floored). */
export function toCrypto(amount: number, rate: number): number {
  // BigInt: amount * 1e6 passes 2^53 for amounts past ~9e9 minor units.
  return Number((BigInt(amount) * BigInt(MICRO)) / BigInt(rate));
}

/** A commission in basis points of a USDT amount, floored. */
export const commission = (amountCrypto: number, bps: number): number =>
  Number((BigInt(amountCrypto) * BigInt(bps)) / 10_000n);

const ref = (ownerType: AccountRef["ownerType"], ownerId: number | string, kind: string): AccountRef => ({
  ownerType,
  ownerId: String(ownerId),
  kind,
  currency: USDT,
});

export const storeAvailable = (storeId: number) => ref("store", storeId, "available");
export const storeHeld = (storeId: number) => ref("store", storeId, "held");
/** A trader's deposit: what selection checks before a pay-in holds from it. */
export const traderAvailable = (traderId: number) => ref("trader", traderId, "available");
export const traderHeld = (traderId: number) => ref("trader", traderId, "held");
/** The platform's profit on the gateway: store commissions minus trader commissions. */
export const gatewayRevenue = (): AccountRef => ref("platform", "platform", "revenue");
/**
 * Where USDT enters and leaves the gateway (deposits received, withdrawals paid): goes negative by
 * what is inside, so the ledger still sums to 0 per currency.
 */
export const gatewayClearing = (): AccountRef => ({
  ...ref("provider", "gateway", "clearing"),
  allowNegative: true,
});

/** A store's or trader's USDT: what is free to use, and what open orders hold. */
export const usdtBalance = (db: Queryable, available: AccountRef, held: AccountRef) => ({
  available: balanceOf(db, available),
  held: balanceOf(db, held),
  currency: USDT,
});
