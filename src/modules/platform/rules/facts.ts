import type { Queryable } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { iso } from "../../../lib/time";
import { ACTOR_FIELDS, EVENT_FACTS, LIMITS } from "./document";
import { knownSubjectFields, subjectHandler } from "./subjects";

/** A fact name parsed once, when the rule is compiled. */
type EventFact = (typeof EVENT_FACTS)[number];

export type FactRef =
  | { root: "event"; key: EventFact }
  | { root: "payload"; path: string[] }
  | { root: "actor"; field: string }
  | { root: "subject"; field: string };

/** The event as the rules see it (a written event, or one made up for a dry run). */
export type RuleEvent = {
  id: number | null;
  type: string;
  actorId: number | null;
  subjectType: string | null;
  subjectId: string | null;
  payload: Record<string, unknown>;
};

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

/** Parses `payload.amount`, `actor.role`, `subject.status`, `type`…; a string is the reason it is refused. */
export function parseFact(fact: string): FactRef | string {
  if ((EVENT_FACTS as readonly string[]).includes(fact)) {
    return { root: "event", key: fact as EventFact };
  }
  const dot = fact.indexOf(".");
  const root = dot < 0 ? fact : fact.slice(0, dot);
  const rest = dot < 0 ? "" : fact.slice(dot + 1);
  switch (root) {
    case "payload": {
      const path = rest.split(".");
      if (!rest || path.some((s) => !SEGMENT.test(s) || FORBIDDEN.has(s))) {
        return "payload facts are payload.<key>[.<key>…] with letters, digits, _ and -";
      }
      if (path.length > LIMITS.pathSegments) return `at most ${LIMITS.pathSegments} keys below payload`;
      return { root: "payload", path };
    }
    case "actor":
      if (!(ACTOR_FIELDS as readonly string[]).includes(rest)) {
        return `actor facts are ${ACTOR_FIELDS.map((f) => `actor.${f}`).join(", ")}`;
      }
      return { root: "actor", field: rest };
    case "subject": {
      const fields = knownSubjectFields();
      if (!fields.has(rest)) return `subject facts are ${[...fields].map((f) => `subject.${f}`).join(", ")}`;
      return { root: "subject", field: rest };
    }
    default:
      return `unknown fact root "${root}": use ${EVENT_FACTS.join(", ")}, payload.<path>, actor.<field> or subject.<field>`;
  }
}

/** More facts about the actor, from modules that compute them (risk scores); merged over the user's own. */
export type ActorFactSource = (db: Queryable, userId: number) => Record<string, unknown> | undefined;
const actorSources: ActorFactSource[] = [];
export const registerActorFacts = (source: ActorFactSource) => void actorSources.push(source);

const stmts = preparedPer((db) => ({
  actor: prepare<{ role: string; created_at: number; telegram_id: number | null }, [number]>(
    db,
    "SELECT role, created_at, telegram_id FROM users WHERE id = ?",
  ),
}));

type Bag = Record<string, unknown>;
const NONE: Bag = {};

/**
 * The facts of one event. Actor and subject rows are read on first use and kept for every rule
 * that evaluates this event; null in a row counts as missing, like an absent key.
 */
export class Facts {
  private actor?: Bag;
  private subject?: Bag;

  constructor(
    private readonly db: Queryable,
    readonly event: RuleEvent,
  ) {}

  get(ref: FactRef): unknown {
    let v: unknown;
    switch (ref.root) {
      case "event":
        v = this.eventFact(ref.key);
        break;
      case "payload":
        v = walk(this.event.payload, ref.path);
        break;
      case "actor":
        v = this.actorFacts()[ref.field];
        break;
      case "subject":
        v = this.subjectFacts()[ref.field];
        break;
    }
    return v === null ? undefined : v;
  }

  /** The subject's facts (client_id and expert_id of an order, for `create_notification`). */
  subjectFacts(): Bag {
    if (this.subject === undefined) {
      const e = this.event;
      const h = subjectHandler(e.subjectType);
      this.subject = (h && e.subjectId != null ? h.load(this.db, e.subjectId) : undefined) ?? NONE;
    }
    return this.subject;
  }

  private eventFact(key: EventFact): unknown {
    const e = this.event;
    switch (key) {
      case "type":
        return e.type;
      case "actor_id":
        return e.actorId;
      case "subject_type":
        return e.subjectType;
      case "subject_id":
        // Numeric ids compare as numbers (`subject_id eq 42`), as `actor_id` does.
        return e.subjectId != null && /^\d{1,15}$/.test(e.subjectId) ? Number(e.subjectId) : e.subjectId;
    }
  }

  private actorFacts(): Bag {
    if (this.actor === undefined) {
      const id = this.event.actorId;
      const row = id == null ? undefined : stmts(this.db).actor.get(id);
      if (!row) this.actor = NONE;
      else {
        this.actor = { role: row.role, created_at: iso(row.created_at), telegram_id: row.telegram_id };
        for (const source of actorSources) Object.assign(this.actor, source(this.db, id!));
      }
    }
    return this.actor;
  }
}

/** Follows own keys only (never the prototype chain); array items by index. */
function walk(root: unknown, path: string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(key)) return undefined;
      cur = cur[Number(key)];
    } else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, key)) {
      cur = (cur as Bag)[key];
    } else return undefined;
  }
  return cur;
}
