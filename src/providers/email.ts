import { createTransport } from "nodemailer";
import type { AppContext } from "../context";
import { PermanentJobError } from "../modules/platform/jobs/queue";

export type OutgoingEmail = { to: string; subject: string; text: string };

// One transport per SMTP_URL; without `pool` each message opens its own connection, so it holds no socket.
const transports = new Map<string, ReturnType<typeof createTransport>>();

function transportFor(url: string) {
  let t = transports.get(url);
  if (!t) {
    // Short timeouts: a stuck server must fail the job (and let it retry), not hold the worker for minutes.
    t = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
    transports.set(url, t);
  }
  return t;
}

/**
 * Sends one plain-text message through SMTP_URL. A permanent SMTP rejection (5yz: no such
 * mailbox, auth refused) fails the job at once; connection errors and 4yz replies are retried.
 */
export async function sendEmail(ctx: AppContext, mail: OutgoingEmail): Promise<void> {
  const url = ctx.env.SMTP_URL;
  if (!url) throw new PermanentJobError("SMTP_URL is not set");
  try {
    await transportFor(url).sendMail({ from: ctx.env.EMAIL_FROM, ...mail });
  } catch (err) {
    const e = err as { permanent?: boolean; responseCode?: number; message?: string };
    const msg = `smtp ${e.responseCode ?? "error"}: ${String(e.message ?? err).slice(0, 200)}`;
    if (e.permanent) throw new PermanentJobError(msg);
    throw new Error(msg);
  }
}
