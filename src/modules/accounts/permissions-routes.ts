import { createRoute } from "@hono/zod-openapi";
import { createRouter, errors, IdParam, json, jsonBody, secured, z } from "../../lib/openapi";
import { registerEventTypes } from "../platform/events/types";
import { setGrantedPermissions, userPermissions } from "./admin";
import { actorOf } from "./admin-routes";
import { Permission } from "./schemas";

registerEventTypes("accounts", {
  "user.permissions_changed": "Staff replaced the user's granted permissions (payload: before and after)",
});

const tags = ["admin: users"];

/** Admins hold it through `*`; anyone else by a grant, for every user or one (`users:{id}:permissions`). */
const PERMISSIONS = "users:permissions";

const UserPermissionsSchema = z
  .object({
    user_id: z.number().int(),
    role: z.string(),
    role_permissions: z.array(z.string()).openapi({ description: "What the role holds by default" }),
    granted_permissions: z.array(z.string()).openapi({ description: "Granted on top of the role" }),
  })
  .openapi("UserPermissions");

const PermissionsBody = z
  .strictObject({ granted_permissions: z.array(Permission).max(100) })
  .openapi("UserPermissionsBody", {
    example: { granted_permissions: ["stores:{id}:read", "requisites:12:moderate", "users:read"] },
  });

const GRANT_TEXT =
  "A permission is `resource:action` or `resource:{id}:action`: `*` alone is everything, a trailing `*` covers the rest (`users:*`), `{id}` any one id and a number that id only (`stores:12:read`). You may grant only what you hold yourself, and only to a user whose role and grants you hold too; never to yourself.";

/** Granted permissions of a user: read and replace. */
export const permissionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/admin/users/{id}/permissions",
      tags,
      summary: "A user's role permissions and the permissions granted on top",
      ...secured(PERMISSIONS, "users:{id}:permissions"),
      request: { params: IdParam },
      responses: { 200: json(UserPermissionsSchema), ...errors(401, 403, 404) },
    }),
    (c) => c.json(userPermissions(c.get("ctx"), c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/admin/users/{id}/permissions",
      tags,
      summary: "Replace a user's granted permissions (audited with before and after)",
      ...secured(PERMISSIONS, "users:{id}:permissions"),
      description: `Requires permission \`${PERMISSIONS}\` or \`users:{id}:permissions\` (\`{id}\` is the path's id). ${GRANT_TEXT} A string that is not a permission is refused with 400 naming its index; one beyond your own permissions with 403.`,
      request: { params: IdParam, ...jsonBody(PermissionsBody) },
      responses: { 200: json(UserPermissionsSchema), ...errors(401, 403, 404, 409) },
    }),
    (c) =>
      c.json(
        setGrantedPermissions(
          c.get("ctx"),
          actorOf(c),
          c.req.valid("param").id,
          c.req.valid("json").granted_permissions,
        ),
        200,
      ),
  );
