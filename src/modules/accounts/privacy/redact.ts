import type { Database, SQLQueryBindings } from "bun:sqlite";

/** What replaces a person's data in free text and requisites. */
export const REDACTED = "[redacted]";

/** Shorter strings are replaced in the person's own records but not searched for elsewhere. */
export const MIN_NEEDLE = 3;

/**
 * Tables the sweep leaves alone: requisites are changed row by row for the one user (another
 * trader's requisite with the same owner name is that trader's own data); configuration and
 * catalogues are staff's settings, not records about anyone; kept idempotent answers are sealed
 * (unreadable here) and the user's are deleted.
 */
const SKIP_TABLES = new Set([
  "gateway_requisites",
  "settings",
  "feature_flags",
  "rules",
  "subjects",
  "work_types",
  "complexities",
  "packages",
  "promo_codes",
  "idempotency_keys",
  "__migrations",
]);

/** Tables where only these columns are searched: staff's notes on other accounts, not their profiles. */
const ONLY_COLUMNS: Record<string, string[]> = { users: ["ban_reason"] };

/**
 * Columns that hold identifiers, codes, hashes or sealed secrets rather than text anyone wrote:
 * rewriting one would break a lookup (an event type, a key), never remove a person's data. A
 * pay-out recipient is the store's customer, not a souk user.
 */
const STRUCTURAL =
  /^(type|kind|status|currency|action|method|path|route|purpose|direction|role|prefix|sha256|tag|date|caller|owner|ip|scopes|roles|event_types|recipient|content_type|error_name|job_type|payment_method|fraud_decision|disputed_from|risk_level|provider|flags)$|_(type|id|ids|hash|key|sealed)$/;

const WORD = /[\p{L}\p{N}_]/u;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Keys under which a Telegram id travels in payloads (`telegram.send` jobs, bot upserts). */
const TELEGRAM_KEYS = /^(telegram_id|chat_id)$/;
/** Keys that address a message: a job with one of these redacted was meant for the person. */
const RECIPIENT_KEYS = /^(to|email|chat_id|telegram_id)$/;

type WalkState = { changed: boolean; recipient: boolean };

export type Needles = { strings: string[]; telegramId: number | null };

/**
 * Replaces whole occurrences of the needles (not "Ann" inside "Annual"). JSON documents are walked
 * so that only string values change, never keys or structure, nor values under structural keys
 * (`status`, `type`, `*_id`…); a Telegram id is nulled where it is a value under a Telegram key.
 */
export class Redactor {
  private readonly re: RegExp | null;
  /** Substrings a row must contain to be looked at: the needles as written and as JSON escapes them. */
  readonly probes: string[];

  constructor(private readonly n: Needles) {
    const strings = [...new Set(n.strings.map((s) => s.trim()).filter((s) => s.length >= MIN_NEEDLE))];
    const variants = new Set<string>();
    for (const s of strings) {
      variants.add(s);
      variants.add(JSON.stringify(s).slice(1, -1));
    }
    // Longest first, so a full name goes before the first name inside it.
    const sorted = [...variants].sort((a, b) => b.length - a.length);
    this.re = sorted.length
      ? new RegExp(
          sorted
            .map(
              (s) =>
                `${WORD.test(s[0]!) ? "(?<![\\p{L}\\p{N}_])" : ""}${escapeRe(s)}${WORD.test(s.at(-1)!) ? "(?![\\p{L}\\p{N}_])" : ""}`,
            )
            .join("|"),
          "gu",
        )
      : null;
    this.probes = [...sorted, ...(n.telegramId != null ? [String(n.telegramId)] : [])];
  }

  text(s: string): string {
    return this.re ? s.replace(this.re, REDACTED) : s;
  }

  /**
   * A column's value with the needles replaced (the same string when nothing matched);
   * `recipient` when a JSON value that addresses a message (`to`, `chat_id`…) was theirs.
   */
  value(s: string): { value: string; recipient: boolean } {
    const t = s.trimStart();
    if (t.startsWith("{") || t.startsWith("[")) {
      let doc: unknown;
      try {
        doc = JSON.parse(s);
      } catch {
        return { value: this.text(s), recipient: false };
      }
      const state: WalkState = { changed: false, recipient: false };
      const walked = this.walk(doc, undefined, state);
      return { value: state.changed ? JSON.stringify(walked) : s, recipient: state.recipient };
    }
    return { value: this.text(s), recipient: false };
  }

  private walk(v: unknown, key: string | undefined, state: WalkState): unknown {
    if (typeof v === "string") {
      if (key !== undefined && STRUCTURAL.test(key)) return v;
      const r = this.text(v);
      if (r !== v) {
        state.changed = true;
        if (key !== undefined && RECIPIENT_KEYS.test(key)) state.recipient = true;
      }
      return r;
    }
    if (typeof v === "number" && key !== undefined && TELEGRAM_KEYS.test(key) && v === this.n.telegramId) {
      state.changed = true;
      state.recipient = true;
      return null;
    }
    if (Array.isArray(v)) return v.map((x) => this.walk(x, key, state));
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x, k, state)]));
    }
    return v;
  }
}

export type SweepResult = { rows: number; byTable: Record<string, number>; jobsCancelled: number };

/**
 * Replaces the needles in every free-text and JSON column of every table (but SKIP_TABLES and
 * STRUCTURAL columns): events, audit details, notifications, webhook and job payloads, other
 * people's messages and reviews, order notes… One pass over each table inside the caller's
 * transaction; SQL picks the rows that contain a needle, JavaScript decides what to replace.
 * A queued job addressed to the person (an email or Telegram message to them) is cancelled; one
 * to someone else that only mentions them is sent with the mention redacted.
 */
export function sweep(db: Database, r: Redactor, now: number): SweepResult {
  const result: SweepResult = { rows: 0, byTable: {}, jobsCancelled: 0 };
  if (!r.probes.length) return result;
  const tables = db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all()
    .map((t) => t.name)
    .filter((t) => !SKIP_TABLES.has(t));
  for (const table of tables) {
    const cols = db
      .query<{ name: string; type: string }, []>(`PRAGMA table_info("${table}")`)
      .all()
      .filter((c) => /text/i.test(c.type) && !STRUCTURAL.test(c.name))
      .filter((c) => ONLY_COLUMNS[table]?.includes(c.name) ?? true)
      .map((c) => c.name);
    if (!cols.length) continue;
    const where = cols.flatMap((c) => r.probes.map(() => `instr("${c}", ?) > 0`)).join(" OR ");
    const params: SQLQueryBindings[] = cols.flatMap(() => r.probes);
    const hits = db
      .query<Record<string, string | null> & { __k: number }, SQLQueryBindings[]>(
        `SELECT rowid AS "__k", ${cols.map((c) => `"${c}"`).join(", ")} FROM "${table}" WHERE ${where}`,
      )
      .all(...params);
    let changedRows = 0;
    for (const row of hits) {
      const set: [string, string][] = [];
      let recipient = false;
      for (const c of cols) {
        const v = row[c];
        if (typeof v !== "string") continue;
        const nv = r.value(v);
        recipient ||= nv.recipient;
        if (nv.value !== v) set.push([c, nv.value]);
      }
      if (!set.length) continue;
      db.query(`UPDATE "${table}" SET ${set.map(([c]) => `"${c}" = ?`).join(", ")} WHERE rowid = ?`).run(
        ...set.map(([, v]) => v),
        row.__k,
      );
      changedRows++;
      if (table === "jobs" && recipient) {
        const cancelled = db
          .query(
            "UPDATE jobs SET status = 'failed', last_error = 'cancelled: its recipient was anonymised', updated_at = ? WHERE rowid = ? AND status = 'queued'",
          )
          .run(now, row.__k);
        result.jobsCancelled += cancelled.changes;
      }
    }
    if (changedRows) {
      result.byTable[table] = changedRows;
      result.rows += changedRows;
    }
  }
  return result;
}
