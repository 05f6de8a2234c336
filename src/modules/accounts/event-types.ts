/** Events of accounts: sign-up, sessions, profile, keys, staff actions on users. */
export const ACCOUNT_EVENT_TYPES = {
  "user.registered": "A user signed up (email, Telegram, bot upsert or bootstrap)",
  "user.logged_in": "A session started (password or Telegram)",
  "user.profile_updated": "Profile fields changed (by the user, the bot or Telegram)",
  "user.email_verification_requested": "A verification link was sent",
  "user.email_verified": "The user confirmed their email address",
  "user.password_reset_requested": "A password reset link was sent",
  "user.password_reset": "The password was reset through an emailed link",
  "user.banned": "Staff banned the user",
  "user.unbanned": "Staff lifted a ban",
  "user.role_changed": "Staff changed the user's role",
  "auth.logout": "A refresh token's session was ended",
  "auth.refresh_reuse_detected": "A rotated refresh token came back: its whole family was revoked",
  "api_key.created": "An API key was created",
  "api_key.revoked": "An API key was revoked",
};
