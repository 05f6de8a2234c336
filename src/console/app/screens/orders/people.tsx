import { get } from "../../api";
import { allowed } from "../../session";
import { useLoad } from "../../ui/load";

type Compact = { id: number; username: string | null; email: string | null; role: string };
export type People = Map<number, Compact>;

let cached: Promise<People> | null = null;

/**
 * Who the ids on orders are: the compact list of every user, loaded once per session and only
 * for staff who may read users (others see ids).
 */
export function usePeople(): People {
  const canRead = allowed("users:read");
  const loaded = useLoad<People>(() => {
    if (!canRead) return Promise.resolve(new Map());
    cached ??= get<{ results: Compact[] }>("/admin/users/all")
      .then((r) => new Map(r.results.map((u) => [u.id, u])))
      .catch((e) => {
        cached = null;
        throw e;
      });
    return cached;
  }, [canRead]);
  return loaded.data ?? new Map();
}

/** A user id on an order as a name, linked to the user when the caller may open users. */
export function Person(props: { id: number | null; people: People }) {
  if (props.id == null) return <span class="muted">—</span>;
  const u = props.people.get(props.id);
  const name = u ? (u.username ?? u.email ?? `#${u.id}`) : `#${props.id}`;
  return allowed("users:read") ? <a href={`#/users/${props.id}`}>{name}</a> : <span>{name}</span>;
}

/** `client_3` or `12` → the user's id (from the loaded list), or null when none matches. */
export function resolvePerson(text: string, people: People): number | null {
  const t = text.trim().toLowerCase();
  if (!t) return null;
  if (/^\d+$/.test(t)) return Number(t);
  for (const u of people.values()) if (u.username === t || u.email === t) return u.id;
  return null;
}
