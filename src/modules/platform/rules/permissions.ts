/** Permissions of the rule engine and what it produces (admin holds them all through `*`). */
export const RULE_PERMISSIONS = {
  rulesRead: "rules:read",
  rulesWrite: "rules:write",
  attentionRead: "attention:read",
  attentionWrite: "attention:write",
  tagsRead: "tags:read",
  tagsWrite: "tags:write",
  /** Flags on a user are part of the user's staff view. */
  usersRead: "users:read",
} as const;
