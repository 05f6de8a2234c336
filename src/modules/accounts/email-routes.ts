import { createRoute } from "@hono/zod-openapi";
import { principalOf } from "../../http/auth";
import { clientIpOf } from "../../http/client-ip";
import { createRouter, errors, json, jsonBody, secured } from "../../lib/openapi";
import { forgotPassword, requestVerification, resetPassword, verifyEmail } from "./email";
import {
  EmailVerified,
  ForgotBody,
  ResetBody,
  ResetRequested,
  TokenBody,
  VerificationSent,
} from "./email-schemas";

const tags = ["auth"];

const FRONT_END =
  "The link in the email opens a page of the front end at PUBLIC_URL, which posts the token from its query string here.";

// The same words whether or not an account has the address: the answer must not reveal which do.
const RESET_ACCEPTED = "If an account uses this email address, a link to reset its password is on its way.";

export const emailRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/email/verification",
      tags,
      summary: "Email the caller a link that verifies their current address (at most one a minute)",
      ...secured("me:write"),
      responses: {
        202: json(VerificationSent, "Link queued for sending; it works for 24 hours"),
        ...errors(401, 403, 409),
      },
    }),
    (c) => c.json(requestVerification(c.get("ctx"), principalOf(c).user.id), 202),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/email/verify",
      tags,
      summary: "Verify an email address with the token from a verification link",
      description: `${FRONT_END} A link works once, for 24 hours, and only while the account still has the address it was sent to.`,
      request: jsonBody(TokenBody),
      responses: { 200: json(EmailVerified, "Verified"), ...errors() },
    }),
    (c) => c.json(verifyEmail(c.get("ctx"), c.req.valid("json").token), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/password/forgot",
      tags,
      summary: "Email a password reset link (the answer is the same whether or not the account exists)",
      request: jsonBody(ForgotBody),
      responses: { 202: json(ResetRequested, "Accepted"), ...errors(409) },
    }),
    (c) => {
      forgotPassword(c.get("ctx"), c.req.valid("json").email);
      return c.json({ detail: RESET_ACCEPTED }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/password/reset",
      tags,
      summary: "Set a new password with the token from a reset link; every session of the account ends",
      description: `${FRONT_END} A link works once, for 1 hour. The password rules are those of registration.`,
      request: jsonBody(ResetBody),
      responses: { 204: { description: "Password changed; sign in again" }, ...errors() },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await resetPassword(c.get("ctx"), body, { ip: clientIpOf(c), requestId: c.get("requestId") });
      return c.body(null, 204);
    },
  );
