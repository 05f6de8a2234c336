import type { AppContext } from "../../context";
import { ApiError } from "../../lib/errors";
import { parseRate, type SettingKey } from "../platform/settings/registry";

type Window = { count: number; resetAt: number };

// Counters of attempts nobody repeats are swept once the map grows past this.
const SWEEP_AT = 10_000;

/**
 * Counts failed logins, not requests: per login name (credential stuffing spread over many IPs
 * still hits the account's budget) and per IP (one address trying many names). Successful logins
 * and refreshes cost nothing, so an office or a mobile carrier behind one address is not locked out
 * by its own users. A login name counts whether or not an account has it, so the lockout answer
 * does not reveal which accounts exist. Counters live in this process.
 */
export class LoginGuard {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly ctx: AppContext) {}

  /** 429 while the name or the address has used up its failures in the current window. */
  check(ip: string, login: string | null) {
    const now = this.ctx.clock.now();
    const waits = [this.wait(`ip:${ip}`, "RATE_LIMIT_LOGIN_IP", now)];
    if (login !== null) waits.push(this.wait(`login:${normal(login)}`, "RATE_LIMIT_LOGIN_ACCOUNT", now));
    const ms = Math.max(...waits);
    if (ms > 0) {
      const retryAfter = Math.ceil(ms / 1000);
      throw new ApiError(
        "rate_limited",
        "too many failed logins, try again later",
        { retry_after_seconds: retryAfter },
        { "Retry-After": String(retryAfter) },
      );
    }
  }

  failed(ip: string, login: string | null) {
    const now = this.ctx.clock.now();
    this.count(`ip:${ip}`, "RATE_LIMIT_LOGIN_IP", now);
    if (login !== null) this.count(`login:${normal(login)}`, "RATE_LIMIT_LOGIN_ACCOUNT", now);
  }

  /** The right password clears the name's failures; the address keeps its count. */
  succeeded(login: string) {
    this.windows.delete(`login:${normal(login)}`);
  }

  private wait(key: string, setting: SettingKey, now: number): number {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) return 0;
    const { limit } = parseRate(String(this.ctx.settings.get(setting)));
    return w.count >= limit ? w.resetAt - now : 0;
  }

  private count(key: string, setting: SettingKey, now: number) {
    const w = this.windows.get(key);
    if (w && w.resetAt > now) {
      w.count++;
      return;
    }
    if (this.windows.size >= SWEEP_AT) {
      for (const [k, v] of this.windows) if (v.resetAt <= now) this.windows.delete(k);
    }
    const { windowMs } = parseRate(String(this.ctx.settings.get(setting)));
    this.windows.set(key, { count: 1, resetAt: now + windowMs });
  }
}

const normal = (login: string) => login.trim().toLowerCase();

const guards = new WeakMap<AppContext, LoginGuard>();

/** The guard of this context (one per process in production, one per test app in tests). */
export function loginGuardOf(ctx: AppContext): LoginGuard {
  let g = guards.get(ctx);
  if (!g) {
    g = new LoginGuard(ctx);
    guards.set(ctx, g);
  }
  return g;
}
