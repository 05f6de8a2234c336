import { can } from "../../permissions";
import { me } from "../../session";

/** An API time as `2026-12-01 11:05 UTC`: the same for every admin, whatever their zone. */
export const when = (iso: string | null | undefined) =>
  iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—";

/** Minor units as money: 190000 RUB → RUB 1,900.00. */
export const money = (minor: number | null | undefined, currency: string) =>
  minor == null ? "—" : new Intl.NumberFormat("en", { style: "currency", currency }).format(minor / 100);

/** Whether the signed-in user holds `permission` (the API decides anyway). */
export const allowed = (...permissions: string[]) =>
  permissions.some((p) => can(me.value?.permissions ?? [], p));

/** The query part of the hash (`#/orders?status=paid`). */
export const hashQuery = () => new URLSearchParams(location.hash.split("?")[1] ?? "");

/** Keeps a list's filters in the hash without a navigation, so a reload or Back keeps them. */
export function setHashQuery(path: string, query: Record<string, string | number | undefined>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  history.replaceState(null, "", `#${path}${s ? `?${s}` : ""}`);
}

/** A field's message from a refused form, whether the API named it `x` or `body.x`. */
export const fieldError = (errors: Record<string, string>, name: string) =>
  errors[name] ?? errors[`body.${name}`];
