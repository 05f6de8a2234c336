import type { z } from "@hono/zod-openapi";
import { RegisterBody } from "../modules/accounts/schemas";
import { register } from "../modules/accounts/service";
import { cliEnv, defineCommand, FROM_SOURCE, UsageError } from "./command";
import { openContext } from "./context";
import { readPassword } from "./password";

/** The register route's own schema, so the CLI accepts exactly the passwords the API accepts. */
function validate(input: Record<string, unknown>, schema: z.ZodType = RegisterBody) {
  const r = schema.safeParse(input);
  if (!r.success) {
    const why = r.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
    throw new Error(`refused (${why}); nothing was created`);
  }
  return r.data as z.infer<typeof RegisterBody>;
}

export const createAdmin = defineCommand({
  name: "create-admin",
  usage: "--email E [--username U] [--password-stdin | --password P]",
  description: [
    "Creates the first admin, like POST /api/v1/auth/bootstrap-admin: refused once an admin exists",
    "(admins then manage roles through the API). The password follows the same policy as",
    "registration over the API (8 to 128 characters).",
    "",
    "The password is asked for twice, without echo, when stdin is a terminal; it is read from",
    "stdin when --password-stdin is given or stdin is a pipe (one line).",
  ].join("\n"),
  options: {
    email: { type: "string", value: "E", help: "the admin's email (the login)" },
    username: { type: "string", value: "U", help: "an optional username (3-32 letters, digits or _)" },
    "password-stdin": { type: "boolean", help: "read the password from stdin" },
    password: {
      type: "string",
      value: "P",
      help: "the password itself (lands in shell history: prefer the prompt)",
    },
  },
  examples: [
    `${FROM_SOURCE} create-admin --email admin@example.com`,
    `printf '%s\\n' "$ADMIN_PASSWORD" | ${FROM_SOURCE} create-admin --email admin@example.com --password-stdin`,
  ],
  async run(v) {
    if (!v.email) throw new UsageError("--email is required", "create-admin");
    const env = cliEnv();
    const identity = { email: v.email, ...(v.username === undefined ? {} : { username: v.username }) };
    // The login is checked before the password is asked for.
    validate(identity, RegisterBody.omit({ password: true }));
    const password = await readPassword({ password: v.password, passwordStdin: v["password-stdin"] });
    const input = validate({ ...identity, password });
    const ctx = openContext(env);
    try {
      const { user } = await register(ctx, input, "admin");
      console.log(
        `admin created: id=${user.id} email=${user.email}${user.username ? ` username=${user.username}` : ""}`,
      );
      console.log(`log in with POST /api/v1/auth/login {"login":"${user.email}","password":…}`);
    } finally {
      ctx.sqlite.close();
    }
    return 0;
  },
});
