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
