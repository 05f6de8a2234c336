import { z } from "@hono/zod-openapi";
import { Email, Password } from "./schemas";

// A token is 32 random bytes in base64url (43 characters); anything else cannot match one.
const Token = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "not a link token");

export const TokenBody = z.strictObject({ token: Token }).openapi("EmailTokenBody");
export const ForgotBody = z.strictObject({ email: Email }).openapi("ForgotPasswordBody");
/** The same password policy as registration. */
export const ResetBody = z.strictObject({ token: Token, password: Password }).openapi("ResetPasswordBody");

export const VerificationSent = z
  .object({ email: z.string(), expires_at: z.string() })
  .openapi("VerificationSent");
export const EmailVerified = z
  .object({ email: z.string(), email_verified: z.literal(true) })
  .openapi("EmailVerified");
export const ResetRequested = z.object({ detail: z.string() }).openapi("ResetRequested");
