import { z } from "../../../lib/openapi";
import { PageQuery } from "../../../lib/pagination";
import { ACTION_TYPES, OPERATORS } from "./document";
import { MAX_REPLAY } from "./replay";

const CONDITIONS_EXAMPLE = {
  all: [
    { fact: "payload.amount", operator: "gte", value: 100000 },
    {
      any: [
        { fact: "actor.role", operator: "eq", value: "client" },
        { not: { fact: "subject.expert_id", operator: "exists" } },
      ],
    },
  ],
};

const Conditions = z.record(z.string(), z.unknown()).openapi({
  description: `A condition tree: \`{all: [...]}\`, \`{any: [...]}\`, \`{not: {...}}\` or \`{fact, operator, value}\`. Operators: ${OPERATORS.join(", ")}. Facts: type, actor_id, subject_type, subject_id, payload.<path>, actor.<field>, subject.<field>.`,
  example: CONDITIONS_EXAMPLE,
});

const ActionDoc = z
  .strictObject({
    type: z.enum(ACTION_TYPES),
    params: z.record(z.string(), z.unknown()).openapi({
      description:
        "create_notification {to: actor|client|expert|admins|user_id:<id>, title, message}; change_status {to}; assign_tag {tag}; assign_flag {flag}; request_admin_attention {reason}",
    }),
  })
  .openapi("RuleAction");

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  event_type: z.string().min(1).max(100).openapi({
    description: "An exact event type, a prefix pattern such as `order.*`, or `*`",
    example: "order.cancel",
  }),
  enabled: z.boolean(),
  priority: z.number().int().min(-1000).max(1000).openapi({ description: "Higher runs first; ties by id" }),
  conditions: Conditions,
  actions: z.array(ActionDoc),
  stop_processing: z
    .boolean()
    .openapi({ description: "When this rule matches, lower-priority rules are not evaluated for the event" }),
};

export const RuleCreateBody = z
  .strictObject({
    ...ruleFields,
    enabled: ruleFields.enabled.default(true),
    priority: ruleFields.priority.default(0),
    conditions: ruleFields.conditions.default({ all: [] }),
    stop_processing: ruleFields.stop_processing.default(false),
  })
  .openapi("RuleCreate", {
    example: {
      name: "Large cancelled orders need a look",
      event_type: "order.cancel",
      enabled: true,
      priority: 10,
      conditions: { all: [{ fact: "subject.price", operator: "gte", value: 100000 }] },
      actions: [{ type: "request_admin_attention", params: { reason: "A large order was cancelled" } }],
      stop_processing: false,
    },
  });
export type RuleCreate = z.infer<typeof RuleCreateBody>;

export const RulePatchBody = z
  .strictObject(ruleFields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, "send at least one field")
  .openapi("RulePatch");
export type RulePatch = z.infer<typeof RulePatchBody>;

export const RuleSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    event_type: z.string(),
    enabled: z.boolean(),
    priority: z.number().int(),
    conditions: z.record(z.string(), z.unknown()),
    actions: z.array(z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) })),
    stop_processing: z.boolean(),
    version: z.number().int(),
    created_by: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .openapi("Rule");

export const RulesQuery = PageQuery.extend({
  event_type: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .openapi({ description: "Rules saved with exactly this event_type" }),
  enabled: z.enum(["true", "false"]).optional(),
}).strict();

const ActionResultSchema = z.object({ type: z.string(), ok: z.boolean(), error: z.string().optional() });

export const RunSchema = z
  .object({
    id: z.number().int(),
    rule_id: z.number().int(),
    rule_version: z.number().int(),
    event_id: z.number().int(),
    matched: z.boolean(),
    applied: z.boolean(),
    actions: z.array(ActionResultSchema),
    depth: z.number().int(),
    replay: z.boolean(),
    duration_us: z.number().int(),
    created_at: z.string(),
  })
  .openapi("RuleRun");

export const RunsQuery = PageQuery.extend({
  matched: z.enum(["true", "false"]).optional(),
  applied: z.enum(["true", "false"]).optional(),
}).strict();

const TestEvent = z.strictObject({
  type: z
    .string()
    .max(100)
    .regex(/^[a-z_]+(\.[a-z_]+)+$/, "an event type such as order.cancel"),
  actor_id: z.number().int().positive().nullable().optional(),
  subject_type: z.string().min(1).max(50).nullable().optional(),
  subject_id: z
    .union([z.string().min(1).max(50), z.number().int().nonnegative()])
    .nullable()
    .optional(),
  payload: z.record(z.string(), z.unknown()).default({}),
});

export const TestBody = z
  .strictObject({
    event: TestEvent.optional().openapi({
      description: "A made-up event; actor and subject facts are read from the database",
    }),
    event_id: z.number().int().positive().optional().openapi({ description: "A recorded event" }),
  })
  .refine((b) => (b.event === undefined) !== (b.event_id === undefined), "send either event or event_id")
  .openapi("RuleTest", {
    example: {
      event: { type: "order.cancel", actor_id: 12, subject_type: "order", subject_id: 40, payload: {} },
    },
  });
export type TestInput = z.infer<typeof TestBody>;

export const TestResultSchema = z
  .object({
    matched: z.boolean(),
    event_type_matched: z.boolean(),
    trace: z.array(
      z.object({
        path: z.string(),
        fact: z.string(),
        operator: z.string(),
        value: z.unknown(),
        actual: z.unknown(),
        result: z.boolean(),
      }),
    ),
    actions: z.array(z.object({ type: z.string(), params: z.record(z.string(), z.unknown()) })),
  })
  .openapi("RuleTestResult");

export const ReplayBody = z
  .strictObject({ last: z.number().int().min(1).max(MAX_REPLAY) })
  .openapi("RuleReplay", { example: { last: 200 } });

export const ReplayResultSchema = z
  .object({
    events: z.number().int(),
    runs: z.number().int(),
    matched: z.number().int(),
    applied: z.number().int(),
    failed: z.number().int(),
    already_applied: z.number().int(),
  })
  .openapi("RuleReplayResult");

export const AttentionSchema = z
  .object({
    id: z.number().int(),
    reason: z.string(),
    status: z.enum(["open", "resolved"]),
    rule_id: z.number().int().nullable(),
    event_id: z.number().int().nullable(),
    subject_type: z.string().nullable(),
    subject_id: z.string().nullable(),
    resolved_by: z.number().int().nullable(),
    resolved_at: z.string().nullable(),
    note: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("AttentionItem");

export const AttentionQuery = PageQuery.extend({ status: z.enum(["open", "resolved"]).optional() }).strict();

export const ResolveBody = z
  .strictObject({ note: z.string().trim().min(1).max(2000).optional() })
  .openapi("AttentionResolve");

export const TagSchema = z
  .object({
    id: z.number().int(),
    kind: z.enum(["tag", "flag"]),
    subject_type: z.string(),
    subject_id: z.string(),
    tag: z.string(),
    rule_id: z.number().int().nullable(),
    event_id: z.number().int().nullable(),
    created_at: z.string(),
  })
  .openapi("SubjectTag");

export const TagsQuery = PageQuery.extend({
  subject_type: z.string().min(1).max(50).optional(),
  subject_id: z.string().min(1).max(50).optional(),
  kind: z.enum(["tag", "flag"]).optional(),
  tag: z.string().min(1).max(64).optional(),
}).strict();
