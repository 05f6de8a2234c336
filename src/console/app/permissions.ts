/**
 * The same matching as the server's: `*` matches one segment, a trailing `*` the rest, `{id}`
 * any one id. The console only hides what the caller cannot use; the API still decides.
 */
function matches(pattern: string, needed: string): boolean {
  const p = pattern.split(":");
  const n = needed.split(":");
  for (let i = 0; i < p.length; i++) {
    const seg = p[i]!;
    if (seg === "*" && i === p.length - 1) return true;
    if (i >= n.length) return false;
    if (seg === "*" || seg === n[i] || (seg === "{id}" && /^\d+$|^\{id\}$/.test(n[i]!))) continue;
    return false;
  }
  return p.length === n.length;
}

export const can = (held: readonly string[], needed: string) => held.some((p) => matches(p, needed));

export { ROLES } from "../../db/enums";
