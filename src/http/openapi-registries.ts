import { z } from "zod";
import { hasPermission, ROLE_PERMISSIONS } from "../modules/accounts/permissions";
import { RateSpec, SETTINGS, type SettingDef } from "../modules/platform/settings/registry";

type JsonSchema = { type?: string; minimum?: number; maximum?: number; pattern?: string; items?: JsonSchema };

const code = (v: unknown) => `\`${JSON.stringify(v)}\``;

function range(s: JsonSchema) {
  const max = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
  if (s.minimum !== undefined && max !== undefined) return ` ${s.minimum}–${max}`;
  if (s.minimum !== undefined) return ` ≥ ${s.minimum}`;
  return max !== undefined ? ` ≤ ${max}` : "";
}

function typeOf(schema: SettingDef["schema"]): string {
  if (schema === RateSpec) return "rate: `N/second`, `N/minute`, `N/hour` or `N/day`";
  const s = z.toJSONSchema(schema) as JsonSchema;
  if (s.type === "array") return `array of ${s.items?.type ?? "values"}`;
  if (s.type === "string" && s.pattern) return `string matching \`${s.pattern}\``;
  return `${s.type ?? "value"}${range(s)}`;
}

/** The settings table of the settings routes, from the settings registry. */
export function settingsText(): string {
  const rows = Object.entries(SETTINGS as Record<string, SettingDef>).map(
    ([key, d]) => `| \`${key}\` | ${typeOf(d.schema)} | ${code(d.default)} | ${d.description} |`,
  );
  return [
    "**Settings.** Read at run time, so a change applies without a restart. Unknown keys are refused (400).",
    "",
    "| Key | Type | Default | Meaning |",
    "| --- | --- | --- | --- |",
    ...rows,
  ].join("\n");
}

const PATCH_EXAMPLE_KEYS = ["registration_open", "usage_block_seconds"];

/** A request body for PUT (every key, at its default) or PATCH (a couple of keys). */
export function settingsExample(which: "all" | "some"): Record<string, unknown> {
  const defs = SETTINGS as Record<string, SettingDef>;
  let keys = Object.keys(defs);
  if (which === "some") {
    const picked = PATCH_EXAMPLE_KEYS.filter((k) => k in defs);
    keys = picked.length ? picked : keys.slice(0, 1);
  }
  return Object.fromEntries(keys.map((k) => [k, defs[k]!.default]));
}

const ROLES = Object.keys(ROLE_PERMISSIONS) as (keyof typeof ROLE_PERMISSIONS)[];

function holders(permission: string) {
  const roles = ROLES.filter((r) => hasPermission(ROLE_PERMISSIONS[r], permission));
  return roles.length === ROLES.length ? "every role" : roles.map((r) => `\`${r}\``).join(", ");
}

/** The scopes an API key may carry: every permission a route checks, and who holds it. */
export function apiKeyScopesText(ops: { op: { "x-permission"?: string } }[]): string {
  const counts = new Map<string, number>();
  for (const { op } of ops) {
    const p = op["x-permission"];
    if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const rows = [...counts.keys()].sort().map((p) => `| \`${p}\` | ${counts.get(p)} | ${holders(p)} |`);
  return [
    "**API-key scopes.** A key's scopes are permission strings, `resource:action`. A key may do what both its scopes and its owner allow, and can only be given scopes its creator holds. In a scope, `*` alone covers everything, a trailing `*` covers the rest (`orders:*`), and `{id}` stands for any one id.",
    "",
    "| Scope | Routes | Held by |",
    "| --- | --- | --- |",
    ...rows,
  ].join("\n");
}
