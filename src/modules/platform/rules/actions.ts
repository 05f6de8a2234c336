import type { AppContext } from "../../../context";
import type { Tx } from "../../../db/client";
import { prepare, preparedPer } from "../../../db/prepared";
import { audit } from "../audit";
import { emit } from "../events/service";
import { notify } from "../notifications/service";
import type { ActionType, RuleAction } from "./document";
import type { Facts } from "./facts";
import { type RuleActor, subjectHandler } from "./subjects";

/** Why an action could not run: logged on the run as `{ok: false, error}`. */
export class ActionError extends Error {}

export type ActionRun = { ctx: AppContext; tx: Tx; facts: Facts; by: RuleActor; now: number };

const stmts = preparedPer((db) => ({
  userExists: prepare<{ id: number }, [number]>(db, "SELECT id FROM users WHERE id = ?"),
  admins: prepare<{ id: number }, []>(
    db,
    "SELECT id FROM users WHERE role = 'admin' AND is_banned = 0 ORDER BY id",
  ),
  tag: prepare<{ id: number }, [string, string, string, string, number, number, number]>(
    db,
    `INSERT INTO subject_tags (kind, subject_type, subject_id, tag, rule_id, event_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
  ),
  attention: prepare<{ id: number }, [string, number, number, string | null, string | null, number]>(
    db,
    `INSERT INTO attention_items (reason, status, rule_id, event_id, subject_type, subject_id, created_at)
     VALUES (?, 'open', ?, ?, ?, ?, ?) RETURNING id`,
  ),
}));

const str = (v: unknown) => String(v);

/** A user the event names (its actor, its subject's client or expert), checked to exist. */
function existingUser(run: ActionRun, id: unknown, what: string): number {
  if (typeof id !== "number") throw new ActionError(`the event has no ${what}`);
  if (!stmts(run.tx).userExists.get(id)) throw new ActionError(`${what} (user ${id}) does not exist`);
  return id;
}

/** Whom `to` names. Only `user_id:<n>` reaches a user outside the event and its subject. */
function recipients(run: ActionRun, to: string): number[] {
  const e = run.facts.event;
  if (to === "admins")
    return stmts(run.tx)
      .admins.all()
      .map((r) => r.id);
  if (to === "actor") return [existingUser(run, e.actorId, "actor")];
  if (to.startsWith("user_id:")) return [existingUser(run, Number(to.slice(8)), to)];
  const parties = subjectHandler(e.subjectType)?.parties?.(run.facts.subjectFacts());
  return [existingUser(run, to === "client" ? parties?.client : parties?.expert, `${to} of the subject`)];
}

function subjectOf(run: ActionRun): { type: string; id: string } {
  const e = run.facts.event;
  if (e.subjectType == null || e.subjectId == null) throw new ActionError("the event has no subject");
  return { type: e.subjectType, id: e.subjectId };
}

const origin = (run: ActionRun) => ({ rule_id: run.by.ruleId, event_id: run.by.eventId });

/** What each action does. Each runs inside its rule's savepoint: a throw undoes the whole rule. */
export const EXECUTORS: Record<ActionType, (run: ActionRun, p: Record<string, unknown>) => void> = {
  create_notification(run, p) {
    const e = run.facts.event;
    for (const userId of recipients(run, str(p.to))) {
      notify(run.ctx, run.tx, {
        userId,
        type: "system",
        title: str(p.title),
        message: str(p.message),
        data: { ...origin(run), subject_type: e.subjectType, subject_id: e.subjectId },
      });
    }
  },

  change_status(run, p) {
    const s = subjectOf(run);
    const handler = subjectHandler(s.type);
    if (!handler?.changeStatus) throw new ActionError(`a ${s.type} has no status a rule can change`);
    const to = str(p.to);
    const { from } = handler.changeStatus(run.ctx, run.tx, s.id, to, run.by);
    audit(run.tx, run.now, {
      actorId: null,
      action: "rule.change_status",
      targetType: s.type,
      targetId: s.id,
      details: { ...origin(run), rule_version: run.by.ruleVersion, from, to },
    });
  },

  assign_tag(run, p) {
    const s = subjectOf(run);
    const tag = str(p.tag);
    const added = stmts(run.tx).tag.get("tag", s.type, s.id, tag, run.by.ruleId, run.by.eventId, run.now);
    if (!added) return; // already tagged: nothing changed, no event
    emit(run.tx, run.now, {
      type: "tag.assigned",
      subjectType: s.type,
      subjectId: s.id,
      payload: { tag, ...origin(run) },
    });
  },

  assign_flag(run, p) {
    const userId = existingUser(run, run.facts.event.actorId, "actor");
    const flag = str(p.flag);
    const added = stmts(run.tx).tag.get(
      "flag",
      "user",
      String(userId),
      flag,
      run.by.ruleId,
      run.by.eventId,
      run.now,
    );
    if (!added) return;
    emit(run.tx, run.now, {
      type: "user.flagged",
      subjectType: "user",
      subjectId: userId,
      payload: { flag, ...origin(run) },
    });
  },

  request_admin_attention(run, p) {
    const e = run.facts.event;
    const reason = str(p.reason);
    const item = stmts(run.tx).attention.get(
      reason,
      run.by.ruleId,
      run.by.eventId,
      e.subjectType,
      e.subjectId,
      run.now,
    )!;
    emit(run.tx, run.now, {
      type: "attention.created",
      subjectType: "attention",
      subjectId: item.id,
      payload: { reason, ...origin(run), about: { subject_type: e.subjectType, subject_id: e.subjectId } },
    });
    for (const { id } of stmts(run.tx).admins.all()) {
      notify(run.ctx, run.tx, {
        userId: id,
        type: "system",
        title: `Needs attention: ${run.by.ruleName}`,
        message: reason,
        data: { attention_id: item.id, ...origin(run), subject_type: e.subjectType, subject_id: e.subjectId },
      });
    }
  },
};

export const runAction = (run: ActionRun, a: RuleAction) => EXECUTORS[a.type](run, a.params);
