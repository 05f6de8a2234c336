import { signal } from "@preact/signals";

/** Hash routes (`#/users/12?q=x`): the server serves one page for every /admin path. */
const current = () => (location.hash.replace(/^#/, "") || "/").split("?")[0]!;
export const route = signal(current());
addEventListener("hashchange", () => {
  route.value = current();
});

export const navigate = (path: string) => {
  location.hash = path;
};

/** `/users/:id` against `/users/12` → { id: "12" }, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("/");
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(":")) out[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return out;
}

/** The query part of the hash (`#/orders?status=paid`): a list's filters, to share or reload. */
export const hashQuery = () => new URLSearchParams(location.hash.split("?")[1] ?? "");

/**
 * Keeps a list's filters in the hash without a navigation (a reload or Back keeps them); never once
 * the address has moved on to another screen, which it would otherwise undo.
 */
export function setHashQuery(path: string, query: Record<string, string | number | undefined>) {
  if (location.hash.split("?")[0] !== `#${path}`) return;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  history.replaceState(null, "", `#${path}${s ? `?${s}` : ""}`);
}
