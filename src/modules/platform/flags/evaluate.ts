import murmurhash from "murmurhash";
import type { Role } from "../../../db/schema";

/** What evaluation needs of a flag row. */
export type FlagRule = {
  key: string;
  enabled: boolean;
  rolloutPercent: number;
  roles: readonly string[];
  userIds: readonly number[];
  /** The same ids as a set, when the caller keeps one (the cache does: a flag may list 1,000). */
  userSet?: ReadonlySet<number>;
};

/** A caller: a user id and role (null role: a user souk does not know, so no role matches). */
export type FlagUser = { id: number; role: Role | null };

/** Why a flag has its value, in OpenFeature's (and OFREP's) resolution reasons. */
export type FlagReason = "DISABLED" | "TARGETING_MATCH" | "SPLIT" | "STATIC";

/**
 * The user's bucket (0-99) for a flag: murmur3 x86 32-bit, seed 0, of the UTF-8 bytes of
 * "<key>:<user_id>" modulo 100. Keyed by the flag, so each flag buckets users independently.
 */
export function flagBucket(key: string, userId: number): number {
  return murmur3_32(`${key}:${userId}`) % 100;
}

/** MurmurHash3 x86 32-bit of a string's UTF-8 bytes (the package encodes with TextEncoder). */
export function murmur3_32(text: string, seed = 0): number {
  return murmurhash.v3(text, seed);
}

/**
 * A flag's value for one caller: off if not enabled; on if the user is listed; else off when
 * roles are listed and the user's is not; then on iff the bucket is under the rollout percent.
 * An anonymous caller gets it only when it is open to everyone (100 %, no roles, no user ids).
 */
export function evaluateFlag(flag: FlagRule, user: FlagUser | null): { value: boolean; reason: FlagReason } {
  if (!flag.enabled) return { value: false, reason: "DISABLED" };
  const whole = flag.rolloutPercent >= 100 || flag.rolloutPercent <= 0;
  if (user === null) {
    const open = flag.roles.length === 0 && flag.userIds.length === 0 && flag.rolloutPercent >= 100;
    return { value: open, reason: open ? "STATIC" : "TARGETING_MATCH" };
  }
  if (flag.userSet ? flag.userSet.has(user.id) : flag.userIds.includes(user.id))
    return { value: true, reason: "TARGETING_MATCH" };
  if (flag.roles.length > 0 && (user.role === null || !flag.roles.includes(user.role))) {
    return { value: false, reason: "TARGETING_MATCH" };
  }
  // The bucket (0-99) decides only a partial rollout; at 0 or 100 % no hash is needed.
  if (!whole) return { value: flagBucket(flag.key, user.id) < flag.rolloutPercent, reason: "SPLIT" };
  return { value: flag.rolloutPercent >= 100, reason: flag.roles.length > 0 ? "TARGETING_MATCH" : "STATIC" };
}
