import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ROLES } from "../../src/db/schema";
import { can } from "../../src/http/auth";
import type { Principal } from "../../src/http/types";
import {
  END_USER_PERMISSIONS,
  hasPermission,
  matchPermission,
  PERMISSION_RE,
  permissionsFor,
  ROLE_PERMISSIONS,
} from "../../src/modules/accounts/permissions";

const RUNS = { numRuns: 2000 };

// Small alphabets so that random strings collide often enough to exercise the interesting cases.
const word = fc.constantFrom("orders", "users", "me", "read", "write", "ban", "gateway", "trader", "a", "b");
const idSeg = fc.integer({ min: 1, max: 30 }).map(String);
const literal = fc.oneof(word, idSeg);
const concreteSegs = fc.array(literal, { minLength: 1, maxLength: 5 });
const concrete = concreteSegs.map((s) => s.join(":"));
/** A grant pattern: literals, `{id}`, `*` (one segment, or the rest when last), or `*` alone. */
const patternSegs = fc.array(
  fc.oneof({ weight: 4, arbitrary: literal }, fc.constant("{id}"), fc.constant("*")),
  {
    minLength: 1,
    maxLength: 5,
  },
);
const pattern = fc.oneof({ weight: 9, arbitrary: patternSegs.map((s) => s.join(":")) }, fc.constant("*"));
const grants = fc.array(pattern, { maxLength: 6 });

/** Reference semantics, written independently: does `pat` cover the concrete permission `req`? */
function reference(pat: string, req: string): boolean {
  if (pat === "*") return true;
  const p = pat.split(":");
  const r = req.split(":");
  const go = (i: number): boolean => {
    if (i === p.length) return i === r.length;
    const seg = p[i]!;
    if (seg === "*" && i === p.length - 1) return r.length > i;
    if (i >= r.length) return false;
    if (seg === "*" || seg === "{id}" || seg === r[i]) return go(i + 1);
    return false;
  };
  return go(0);
}

describe("matchPermission / hasPermission properties", () => {
  test("agrees with the reference semantics on concrete permissions", () => {
    fc.assert(
      fc.property(pattern, concrete, (p, r) => matchPermission(p, r) === reference(p, r)),
      RUNS,
    );
  });

  test("`*` grants everything", () => {
    fc.assert(
      fc.property(fc.oneof(concrete, pattern), (r) => matchPermission("*", r) && hasPermission(["*"], r)),
      RUNS,
    );
  });

  test("an exact string matches itself (concrete or pattern)", () => {
    fc.assert(
      fc.property(fc.oneof(concrete, pattern), (p) => matchPermission(p, p) && hasPermission([p], p)),
      RUNS,
    );
  });

  test("a trailing `:*` matches every longer permission with that prefix, never the bare prefix", () => {
    fc.assert(
      fc.property(concreteSegs, concreteSegs, (prefix, rest) => {
        const grant = `${prefix.join(":")}:*`;
        return (
          matchPermission(grant, [...prefix, ...rest].join(":")) &&
          !matchPermission(grant, prefix.join(":")) &&
          // nor a shorter one
          (prefix.length < 2 || !matchPermission(grant, prefix.slice(0, -1).join(":")))
        );
      }),
      RUNS,
    );
  });

  test("a trailing `:*` never matches a permission with another prefix", () => {
    fc.assert(
      fc.property(concreteSegs, concreteSegs, concreteSegs, (prefix, other, rest) => {
        const req = [...other, ...rest];
        fc.pre(req.slice(0, prefix.length).join(":") !== prefix.join(":"));
        return !matchPermission(`${prefix.join(":")}:*`, req.join(":"));
      }),
      RUNS,
    );
  });

  test("a differing literal segment never matches", () => {
    fc.assert(
      fc.property(patternSegs, concreteSegs, fc.nat(), literal, (p, r, k, lit) => {
        const i = k % Math.min(p.length, r.length);
        // Position i is a literal in both and they differ; no `*` before it ends the pattern early.
        const pat = [...p];
        pat[i] = lit;
        fc.pre(pat[i] !== r[i]);
        return !matchPermission(pat.join(":"), r.join(":"));
      }),
      RUNS,
    );
  });

  test("exact literals match only identical strings", () => {
    fc.assert(
      fc.property(concrete, concrete, (a, b) => matchPermission(a, b) === (a === b)),
      RUNS,
    );
  });

  test("`{id}` in a grant matches any single id segment, and only one", () => {
    fc.assert(
      fc.property(concreteSegs, concreteSegs, idSeg, idSeg, (before, after, id, id2) => {
        const grant = [...before, "{id}", ...after].join(":");
        return (
          matchPermission(grant, [...before, id, ...after].join(":")) &&
          !matchPermission(grant, [...before, id, id2, ...after].join(":")) &&
          !matchPermission(grant, [...before, ...after].join(":"))
        );
      }),
      RUNS,
    );
  });

  test("`{id}` in a required permission is substituted from params", () => {
    fc.assert(
      fc.property(
        concreteSegs,
        concreteSegs,
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 1e9 }),
        (b, a, id, other) => {
          const required = [...b, "{id}", ...a].join(":");
          const grantFor = (x: number) => [...b, String(x), ...a].join(":");
          return (
            hasPermission([grantFor(id)], required, { id }) &&
            hasPermission([grantFor(id)], required, { id: String(id) }) &&
            (id === other || !hasPermission([grantFor(other)], required, { id })) &&
            // a `{id}` grant covers every id
            hasPermission([[...b, "{id}", ...a].join(":")], required, { id })
          );
        },
      ),
      RUNS,
    );
  });

  test("adding grants never removes access (monotonic)", () => {
    fc.assert(
      fc.property(grants, grants, fc.oneof(concrete, pattern), (g, more, r) => {
        if (!hasPermission(g, r)) return true;
        return hasPermission([...g, ...more], r) && hasPermission([...more, ...g], r);
      }),
      RUNS,
    );
  });

  test("hasPermission is exactly `some grant matches`", () => {
    fc.assert(
      fc.property(grants, concrete, (g, r) => hasPermission(g, r) === g.some((p) => matchPermission(p, r))),
      RUNS,
    );
  });

  test("a pattern accepted as covered never covers more than its grant (sound for key scopes)", () => {
    // createApiKey checks each requested scope as if it were a permission; whatever the scope then
    // grants must already be granted to the owner.
    fc.assert(
      fc.property(pattern, pattern, concrete, (g, s, r) => {
        if (!matchPermission(g, s) || !matchPermission(s, r)) return true;
        return matchPermission(g, r);
      }),
      { numRuns: 20_000 },
    );
  });

  test("examples", () => {
    const table: [string, string, boolean][] = [
      ["*", "anything:at:all", true],
      ["me:*", "me:read", true],
      ["me:*", "me", false],
      ["me:*", "meta:read", false],
      ["me:*", "me:read:deep", true],
      ["gateway:trader:*", "gateway:merchant:read", false],
      ["orders:{id}:read", "orders:42:read", true],
      ["orders:{id}:read", "orders:42:write", false],
      ["orders:{id}:read", "orders:42:7:read", false],
      ["orders:*:read", "orders:42:read", true],
      ["orders:*:read", "orders:read", false],
      ["orders:read", "orders:read:any", false],
      ["orders:{id}", "orders:*", false],
      ["users:*", "*", false],
      ["me:*", "*", false],
    ];
    for (const [g, r, want] of table) expect(matchPermission(g, r), `${g} vs ${r}`).toBe(want);
  });
});

describe("roles", () => {
  test("admin holds everything; every role's defaults are valid permission strings", () => {
    for (const role of ROLES) {
      for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSION_RE.test(p), p).toBe(true);
    }
    fc.assert(
      fc.property(concrete, (r) => hasPermission(permissionsFor("admin"), r)),
      RUNS,
    );
  });

  test.each([
    ["client", "users:read", false],
    ["client", "bot:act_as", false],
    ["client", "me:write", true],
    ["client", "experts:apply", true],
    ["partner", "bot:act_as", true],
    ["support", "users:read", true],
    ["support", "users:ban", false],
    ["support", "users:role", false],
    ["expert", "expert:dashboard:read", true],
    ["trader", "gateway:merchant:read", false],
    ["admin", "users:role", true],
  ] as const)("%s has %s: %p", (role, perm, want) => {
    expect(hasPermission(permissionsFor(role), perm)).toBe(want);
  });

  test("granted permissions add to the role defaults", () => {
    expect(hasPermission(permissionsFor("support", ["users:ban"]), "users:ban")).toBe(true);
    expect(permissionsFor("client", ["x:y"])).toEqual([...ROLE_PERMISSIONS.client, "x:y"]);
  });

  test("end-user permissions hold no staff powers", () => {
    for (const p of ["users:read", "users:ban", "users:role", "bot:act_as", "system:write", "*"]) {
      expect(hasPermission(END_USER_PERMISSIONS, p), p).toBe(false);
    }
  });
});

describe("can(): an API key's scopes never exceed its owner at request time", () => {
  const principal = (permissions: string[], scopes?: string[]): Principal => ({
    user: { id: 1, role: "client", telegramId: null, grantedPermissions: [] },
    permissions,
    ...(scopes ? { keyId: 1, scopes } : {}),
  });
  const params = fc.option(fc.record({ id: fc.integer({ min: 1, max: 30 }) }), { nil: undefined });
  const required = fc.oneof(
    concrete,
    patternSegs.map((s) => s.join(":")),
  );

  test("with a key: allowed only if both the owner and the key's scopes allow", () => {
    fc.assert(
      fc.property(grants, grants, required, params, (perms, scopes, r, prm) => {
        const withKey = can(principal(perms, scopes), r, prm);
        return withKey === (hasPermission(perms, r, prm) && hasPermission(scopes, r, prm));
      }),
      RUNS,
    );
  });

  test("a key never allows what its owner cannot (even with scope `*`)", () => {
    fc.assert(
      fc.property(grants, grants, required, params, (perms, scopes, r, prm) => {
        if (!can(principal(perms, scopes), r, prm)) return true;
        return can(principal(perms), r, prm);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.constantFrom(...ROLES.filter((r) => r !== "admin")), (role) => {
        const p = principal(permissionsFor(role), ["*"]);
        return !can(p, "users:role") && !can(p, "system:write");
      }),
    );
  });

  test("without a key (access token or act-as): the user's permissions decide", () => {
    fc.assert(
      fc.property(
        grants,
        required,
        params,
        (perms, r, prm) => can(principal(perms), r, prm) === hasPermission(perms, r, prm),
      ),
      RUNS,
    );
  });

  test("narrowing a key's scopes never widens access", () => {
    fc.assert(
      fc.property(grants, grants, grants, required, (perms, scopes, extra, r) => {
        if (!can(principal(perms, scopes), r)) return true;
        return can(principal(perms, [...scopes, ...extra]), r);
      }),
      RUNS,
    );
  });
});
