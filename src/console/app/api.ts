/**
 * The console's only way to the server: souk's public API under /api/v1. The access token lives
 * in memory only; the refresh token is the httpOnly cookie the login set, so a reload or an
 * expired access token costs one POST /auth/refresh and nothing is kept in storage.
 */
export type Issue = { path: string; message: string };

/** A page of an API list: `{ count, next, previous, results }`. */
export type ListPage<T> = { count: number; next: string | null; previous: string | null; results: T[] };

/** An error envelope from the API, with validation issues keyed by field name. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** `json.email` → `email`: the message of each field the API refused. */
  get fields(): Record<string, string> {
    const issues = (this.details.issues as Issue[] | undefined) ?? [];
    const out: Record<string, string> = {};
    for (const i of issues) {
      const key = i.path.replace(/^(json|query|param|form|body)\.?/, "") || "_";
      out[key] ??= i.message;
    }
    return out;
  }
}

let token: string | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

/** Called when the session ends (logout, or a refresh that failed): the app shows the login. */
export const onSignedOut = (fn: () => void) => listeners.add(fn);

async function parse(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toError(status: number, body: unknown): ApiError {
  const e = (body as { error?: { code: string; message: string; details?: Record<string, unknown> } })?.error;
  return e
    ? new ApiError(status, e.code, e.message, e.details)
    : new ApiError(status, "internal", `HTTP ${status}`);
}

/** One refresh at a time: refresh tokens rotate, and a reused one revokes the whole session. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const res = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        credentials: "same-origin",
      });
      if (!res.ok) return false;
      token = ((await res.json()) as { access_token: string }).access_token;
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

type Options = { query?: Record<string, string | number | boolean | undefined | null>; raw?: boolean };

export function url(path: string, query?: Options["query"]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {}))
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return `/api/v1${path}${s ? `?${s}` : ""}`;
}

async function send(method: string, path: string, body: unknown, o: Options): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(url(path, o.query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
}

/** A successful answer: a 401 is retried once after a refresh; any error envelope throws ApiError. */
async function call(method: string, path: string, body: unknown, o: Options): Promise<Response> {
  let res = await send(method, path, body, o);
  if (res.status === 401 && (await refresh())) res = await send(method, path, body, o);
  if (res.status === 401) {
    token = null;
    for (const fn of listeners) fn();
  }
  if (!res.ok) throw toError(res.status, await parse(res));
  return res;
}

/** Calls the API and answers its JSON (or, with `raw`, its text). */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  o: Options = {},
): Promise<T> {
  const res = await call(method, path, body, o);
  return (o.raw ? await res.text() : await parse(res)) as T;
}

export const get = <T = unknown>(path: string, query?: Options["query"]) =>
  api<T>("GET", path, undefined, { query });

/** Signs in with the same accounts as the API; the server sets the refresh cookie. */
export async function login(loginName: string, password: string): Promise<void> {
  const res = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ login: loginName, password }),
    credentials: "same-origin",
  });
  const body = await parse(res);
  if (!res.ok) throw toError(res.status, body);
  token = (body as { access_token: string }).access_token;
}

export async function logout(): Promise<void> {
  try {
    await api("POST", "/auth/logout", {});
  } catch {
    // Signed out either way.
  }
  token = null;
  for (const fn of listeners) fn();
}

/** Hands the browser a file to save. */
function save(blob: Blob, filename: string) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** A CSV export: fetched with the token (a plain link cannot send it), saved as a file. */
export async function downloadCsv(path: string, query: Options["query"], filename: string): Promise<void> {
  const text = await api<string>("GET", path, undefined, { query: { ...query, format: "csv" }, raw: true });
  save(new Blob([text], { type: "text/csv" }), filename);
}

/** A stored file (a receipt): fetched with the token, saved under the name it was uploaded with. */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  const res = await call("GET", path, undefined, {});
  const named = /filename="([^"]+)"/.exec(res.headers.get("content-disposition") ?? "")?.[1];
  save(await res.blob(), named ?? fallbackName);
}
