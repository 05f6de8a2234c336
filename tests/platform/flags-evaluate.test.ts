import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { AppContext } from "../../src/context";
import { featureFlags, ROLES, type Role } from "../../src/db/schema";
import { onEmit } from "../../src/modules/platform/events/service";
import {
  evaluateFlag,
  type FlagRule,
  flagBucket,
  murmur3_32,
} from "../../src/modules/platform/flags/evaluate";
import {
  callerFlags,
  FLAG_CACHE_TTL_MS,
  FLAG_DEFAULTS,
  isEnabled,
} from "../../src/modules/platform/flags/service";
import { makeTestApp } from "../helpers/app";

const flag = (over: Partial<FlagRule> = {}): FlagRule => ({
  key: "f",
  enabled: true,
  rolloutPercent: 100,
  roles: [],
  userIds: [],
  ...over,
});

describe("murmur3 x86 32-bit", () => {
  // Published MurmurHash3_x86_32 test vectors (SMHasher), UTF-8 input included.
  const vectors: [string, number, number][] = [
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    ["\0\0\0\0", 0, 0x2362f9de],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["abc", 0, 0xb3dd93fa],
    ["hello", 0, 0x248bfa47],
    ["test", 0, 0xba6bd213],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
    ["The quick brown fox jumps over the lazy dog", 0x9747b28c, 0x2fa826cd],
    ["ππππππππ", 0x9747b28c, 0xd58063c1],
  ];
  for (const [text, seed, hash] of vectors) {
    test(`${JSON.stringify(text)} seed ${seed.toString(16)}`, () => {
      expect(murmur3_32(text, seed)).toBe(hash);
    });
  }

  test("a bucket is murmur3 (seed 0) of <key>:<user_id> modulo 100", () => {
    expect(murmur3_32("new_checkout:1")).toBe(0x55600c71);
    expect(flagBucket("new_checkout", 1)).toBe(0x55600c71 % 100);
    expect(flagBucket("new_checkout", 2)).toBe(65);
    expect(flagBucket("new_checkout", 42)).toBe(79);
    expect(flagBucket("rules_engine", 7)).toBe(15);
    expect(flagBucket("beta", 1000)).toBe(46);
  });
});

describe("evaluation order", () => {
  const client = { id: 2, role: "client" as Role };

  test("off when not enabled, even for a listed user", () => {
    expect(evaluateFlag(flag({ enabled: false, userIds: [2] }), client)).toEqual({
      value: false,
      reason: "DISABLED",
    });
  });

  test("on for a listed user, whatever the roles and the rollout", () => {
    const r = evaluateFlag(flag({ userIds: [2], roles: ["admin"], rolloutPercent: 0 }), client);
    expect(r).toEqual({ value: true, reason: "TARGETING_MATCH" });
  });

  test("off when roles are listed and the user's is not", () => {
    expect(evaluateFlag(flag({ roles: ["expert"] }), client).value).toBe(false);
    expect(evaluateFlag(flag({ roles: ["expert", "client"] }), client).value).toBe(true);
    expect(evaluateFlag(flag({ roles: ["expert"] }), { id: 2, role: null }).value).toBe(false);
  });

  test("then on iff the bucket is under the rollout percent", () => {
    // new_checkout:2 is in bucket 65.
    const f = (rolloutPercent: number) => flag({ key: "new_checkout", rolloutPercent });
    expect(evaluateFlag(f(65), client)).toEqual({ value: false, reason: "SPLIT" });
    expect(evaluateFlag(f(66), client)).toEqual({ value: true, reason: "SPLIT" });
    expect(evaluateFlag(f(0), client)).toEqual({ value: false, reason: "STATIC" });
    expect(evaluateFlag(f(100), client)).toEqual({ value: true, reason: "STATIC" });
  });

  test("an anonymous caller gets only a flag open to everyone", () => {
    expect(evaluateFlag(flag(), null)).toEqual({ value: true, reason: "STATIC" });
    expect(evaluateFlag(flag({ rolloutPercent: 99 }), null).value).toBe(false);
    expect(evaluateFlag(flag({ roles: ["client"] }), null).value).toBe(false);
    expect(evaluateFlag(flag({ userIds: [1] }), null).value).toBe(false);
    expect(evaluateFlag(flag({ enabled: false }), null).value).toBe(false);
  });
});

describe("evaluation properties", () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,20}$/);
  const userId = fc.integer({ min: 1, max: 2 ** 40 });
  const role = fc.constantFrom(...ROLES);
  const rule = fc.record({
    key,
    enabled: fc.boolean(),
    rolloutPercent: fc.integer({ min: 0, max: 100 }),
    roles: fc.uniqueArray(role, { maxLength: 4 }),
    userIds: fc.uniqueArray(userId, { maxLength: 5 }),
  });

  test("sticky: the same user gets the same answer every time", () => {
    fc.assert(
      fc.property(rule, userId, role, (f, id, r) => {
        const first = evaluateFlag(f, { id, role: r });
        for (let i = 0; i < 3; i++) expect(evaluateFlag({ ...f }, { id, role: r })).toEqual(first);
      }),
    );
  });

  test("a listed user always gets an enabled flag; nobody gets a disabled one", () => {
    fc.assert(
      fc.property(rule, role, fc.nat(), (f, r, pick) => {
        fc.pre(f.userIds.length > 0);
        const id = f.userIds[pick % f.userIds.length]!;
        expect(evaluateFlag(f, { id, role: r }).value).toBe(f.enabled);
      }),
    );
  });

  test("roles filter: an unlisted user whose role is not listed never gets it", () => {
    fc.assert(
      fc.property(rule, userId, role, (f, id, r) => {
        fc.pre(f.roles.length > 0 && !f.roles.includes(r) && !f.userIds.includes(id));
        expect(evaluateFlag(f, { id, role: r }).value).toBe(false);
      }),
    );
  });

  test("raising the rollout never takes the flag from a user who had it", () => {
    fc.assert(
      fc.property(rule, userId, role, fc.integer({ min: 0, max: 100 }), (f, id, r, more) => {
        const wider = { ...f, rolloutPercent: Math.max(f.rolloutPercent, more) };
        if (evaluateFlag(f, { id, role: r }).value)
          expect(evaluateFlag(wider, { id, role: r }).value).toBe(true);
      }),
    );
  });

  test("anonymous: on only at 100 % with no roles and no user ids", () => {
    fc.assert(
      fc.property(rule, (f) => {
        const open = f.enabled && f.rolloutPercent === 100 && !f.roles.length && !f.userIds.length;
        expect(evaluateFlag(f, null).value).toBe(open);
      }),
    );
  });

  test("over 10,000 users the share that gets the flag is about its rollout percent", () => {
    for (const [k, pct] of [
      ["new_checkout", 10],
      ["search.v2", 25],
      ["dark-mode", 50],
      ["beta", 90],
    ] as const) {
      let on = 0;
      for (let id = 1; id <= 10_000; id++) {
        if (evaluateFlag(flag({ key: k, rolloutPercent: pct }), { id, role: "client" }).value) on++;
      }
      expect(Math.abs(on / 10_000 - pct / 100)).toBeLessThan(0.02);
    }
  });

  test("each flag buckets users independently", () => {
    let both = 0;
    for (let id = 1; id <= 10_000; id++) {
      if (flagBucket("flag_a", id) < 50 && flagBucket("flag_b", id) < 50) both++;
    }
    // Independent halves overlap on about a quarter of the users, not on all of the half.
    expect(Math.abs(both / 10_000 - 0.25)).toBeLessThan(0.02);
  });
});

let sabotage: ((ctx: AppContext) => void) | null = null;
onEmit((ctx, _tx, e) => {
  if (sabotage && e.type === "flag.created") sabotage(ctx);
});

describe("isEnabled and its cache", () => {
  const insert = (t: ReturnType<typeof makeTestApp>, key: string, enabled: boolean) => {
    const now = t.clock.now();
    t.ctx.db
      .insert(featureFlags)
      .values({ key, enabled, rolloutPercent: 100, createdAt: now, updatedAt: now })
      .run();
  };

  test("a flag with no row answers its code default, an unknown key false", () => {
    const t = makeTestApp();
    expect(FLAG_DEFAULTS.rules_engine).toBe(true);
    expect(isEnabled(t.ctx, "rules_engine", null)).toBe(true);
    expect(isEnabled(t.ctx, "rules_engine", { id: 1, role: "client" })).toBe(true);
    expect(isEnabled(t.ctx, "no_such_flag", { id: 1, role: "admin" })).toBe(false);
  });

  test("served from memory: a row written behind the service's back shows only after the reload interval", () => {
    const t = makeTestApp();
    expect(isEnabled(t.ctx, "side_door", null)).toBe(false);
    insert(t, "side_door", true);
    expect(isEnabled(t.ctx, "side_door", null)).toBe(false);
    t.clock.advance(FLAG_CACHE_TTL_MS);
    expect(isEnabled(t.ctx, "side_door", null)).toBe(true);
  });

  test("a write through the API is seen at once", async () => {
    const t = makeTestApp();
    const admin = await t.user("admin");
    const client = await t.user("client");
    const me = { id: client.id, role: client.role };
    expect(isEnabled(t.ctx, "rules_engine", me)).toBe(true);
    expect(isEnabled(t.ctx, "beta", me)).toBe(false);

    await t.call("POST", "/api/v1/admin/flags", { token: admin.token, body: { key: "beta", enabled: true } });
    expect(isEnabled(t.ctx, "beta", me)).toBe(true);
    await t.call("PATCH", "/api/v1/admin/flags/beta", { token: admin.token, body: { roles: ["expert"] } });
    expect(isEnabled(t.ctx, "beta", me)).toBe(false);
    await t.call("PATCH", "/api/v1/admin/flags/rules_engine", {
      token: admin.token,
      body: { enabled: false },
    });
    expect(isEnabled(t.ctx, "rules_engine", me)).toBe(false);
    await t.call("DELETE", "/api/v1/admin/flags/rules_engine", { token: admin.token });
    expect(isEnabled(t.ctx, "rules_engine", me)).toBe(true);
    await t.call("DELETE", "/api/v1/admin/flags/beta", { token: admin.token });
    expect(isEnabled(t.ctx, "beta", me)).toBe(false);
  });

  test("a write rolled back after the cache saw it inside the transaction leaves no trace", async () => {
    const t = makeTestApp();
    const admin = await t.user("admin");
    // Reads the flag inside the writing transaction (loading the uncommitted row), then fails it.
    sabotage = (ctx) => {
      expect(isEnabled(ctx, "boom", null)).toBe(true);
      throw new Error("subscriber failed");
    };
    try {
      const res = await t.call("POST", "/api/v1/admin/flags", {
        token: admin.token,
        body: { key: "boom", enabled: true },
      });
      expect(res.status).toBe(500);
    } finally {
      sabotage = null;
    }
    expect(isEnabled(t.ctx, "boom", null)).toBe(false);
    expect(t.ctx.db.select().from(featureFlags).all()).toEqual([]);
  });

  test("callerFlags lists built-in and saved flags", () => {
    const t = makeTestApp();
    insert(t, "zeta", true);
    t.clock.advance(FLAG_CACHE_TTL_MS);
    expect(callerFlags(t.ctx, null)).toEqual({ rules_engine: true, zeta: true });
  });

  test("each database has its own cache", () => {
    const a = makeTestApp();
    const b = makeTestApp();
    insert(a, "only_in_a", true);
    expect(isEnabled(a.ctx, "only_in_a", null)).toBe(true);
    expect(isEnabled(b.ctx, "only_in_a", null)).toBe(false);
  });
});
