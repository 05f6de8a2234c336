import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured } from "../../../lib/openapi";
import { page, pageSchema } from "../../../lib/pagination";
import { actorOf } from "../../accounts/admin-routes";
import { RULE_PERMISSIONS as P } from "./permissions";
import { replayRules } from "./replay";
import {
  ReplayBody,
  ReplayResultSchema,
  RuleCreateBody,
  RulePatchBody,
  RuleSchema,
  RulesQuery,
  RunSchema,
  RunsQuery,
  TestBody,
  TestResultSchema,
} from "./schemas";
import { createRule, deleteRule, getRule, listRules, listRuns, testRule, updateRule } from "./service";

const tags = ["admin: rules"];

/** Admin CRUD of rules, their dry run, replay and run log. */
export const ruleRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/rules",
      tags,
      summary: "Rules in evaluation order (priority, then id); deleted rules are left out",
      ...secured(P.rulesRead),
      request: { query: RulesQuery },
      responses: { 200: json(pageSchema(RuleSchema)), ...errors(401, 403) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listRules(c.get("ctx"), q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/rules",
      tags,
      summary:
        "Create a rule (validated: unknown operators, facts, actions or event types are 400 with the node's path)",
      ...secured(P.rulesWrite),
      request: jsonBody(RuleCreateBody),
      responses: { 201: json(RuleSchema, "Created"), ...errors(401, 403) },
    }),
    (c) => c.json(createRule(c.get("ctx"), actorOf(c), c.req.valid("json")), 201),
  )
  // Before /admin/rules/{id}: "replay" is not an id.
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/rules/replay",
      tags,
      summary:
        "Evaluate the enabled rules again over the last N events; an action never runs twice for one event",
      ...secured(P.rulesWrite),
      request: jsonBody(ReplayBody),
      responses: { 200: json(ReplayResultSchema), ...errors(401, 403, 409) },
    }),
    (c) => c.json(replayRules(c.get("ctx"), c.req.valid("json").last, actorOf(c)), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/rules/{id}",
      tags,
      summary: "One rule",
      ...secured(P.rulesRead),
      request: { params: IdParam },
      responses: { 200: json(RuleSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(getRule(c.get("ctx"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/admin/rules/{id}",
      tags,
      summary: "Change a rule (its version goes up)",
      ...secured(P.rulesWrite),
      request: { params: IdParam, ...jsonBody(RulePatchBody) },
      responses: { 200: json(RuleSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(updateRule(c.get("ctx"), actorOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/admin/rules/{id}",
      tags,
      summary: "Delete a rule (kept with its run log, never runs again)",
      ...secured(P.rulesWrite),
      request: { params: IdParam },
      responses: { 200: json(RuleSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(deleteRule(c.get("ctx"), actorOf(c), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/admin/rules/{id}/test",
      tags,
      summary:
        "Dry run on a recorded or made-up event: whether it matches, a trace of every condition, the actions it would take",
      ...secured(P.rulesRead),
      request: { params: IdParam, ...jsonBody(TestBody) },
      responses: { 200: json(TestResultSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(testRule(c.get("ctx"), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/rules/{id}/runs",
      tags,
      summary: "A rule's run log, newest first (deleted rules keep theirs)",
      ...secured(P.rulesRead),
      request: { params: IdParam, query: RunsQuery },
      responses: { 200: json(pageSchema(RunSchema)), ...errors(401, 403, 404) },
    }),
    (c) => {
      const q = c.req.valid("query");
      const { total, results } = listRuns(c.get("ctx"), c.req.valid("param").id, q);
      return c.json(page(c.req.url, q, total, results), 200);
    },
  );
