import type { AppContext } from "../context";
import { PermanentJobError } from "../modules/platform/jobs/queue";

/**
 * Bot API sendMessage. 4xx other than 429 is permanent (chat not found, bot blocked);
 * 429, 5xx and network errors are retried by the job queue.
 */
export async function sendTelegramMessage(ctx: AppContext, chatId: number, text: string): Promise<void> {
  const token = ctx.env.TELEGRAM_BOT_TOKEN;
  if (!token) throw new PermanentJobError("TELEGRAM_BOT_TOKEN is not set");
  const res = await ctx.fetch(`${ctx.env.TELEGRAM_API_BASE.replace(/\/$/, "")}/bot${token}/sendMessage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ chat_id: chatId, text }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.ok) return;
  const body = await res.text().catch(() => "");
  const msg = `telegram sendMessage ${res.status}: ${body.slice(0, 200)}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new PermanentJobError(msg);
  throw new Error(msg);
}
