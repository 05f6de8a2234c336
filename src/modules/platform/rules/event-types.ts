/** Events of the rule engine: rule edits, replays, and what rule actions change. */
export const RULE_EVENT_TYPES: Record<string, string> = {
  "rule.created": "An admin created a rule",
  "rule.updated": "An admin changed a rule (its version went up)",
  "rule.deleted": "An admin deleted a rule",
  "rule.replayed": "Rules were evaluated again over recent events (admin route or CLI)",
  "tag.assigned": "A rule tagged the event's subject",
  "user.flagged": "A rule put a flag on a user for staff to see",
  "tag.removed": "Staff took a tag or a user flag off its subject",
  "attention.created": "A rule asked admins to look at something",
  "attention.resolved": "Staff resolved an attention item",
};
