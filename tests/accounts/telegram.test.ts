import { describe, expect, test } from "bun:test";
import { createHash, createHmac } from "node:crypto";
import { sign } from "@tma.js/init-data-node";
import { expectError, makeTestApp, TEST_BOT_TOKEN } from "../helpers/app";

const t = makeTestApp();
const DAY_S = 86_400;

type TgUser = { id: number; first_name?: string; last_name?: string; username?: string };

/** Mini App init_data as Telegram would send it, signed at `authDate` (default: now on the test clock). */
function initData(user: TgUser, authDate = new Date(t.clock.now()), token = TEST_BOT_TOKEN) {
  return sign({ user: user as never, query_id: "AAHdF6IQAAAAAN0XohDhrOrc" }, token, authDate);
}

/** Login Widget fields with hash = hex HMAC_SHA256(SHA256(bot_token), sorted k=v lines). */
function widget(fields: Record<string, string | number>, token = TEST_BOT_TOKEN) {
  const check = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join("\n");
  const key = createHash("sha256").update(token).digest();
  return { ...fields, hash: createHmac("sha256", key).update(check).digest("hex") };
}

const nowS = () => Math.floor(t.clock.now() / 1000);
const tgLogin = (body: unknown, app = t) => app.call("POST", "/api/v1/auth/telegram", { body });

describe("POST /auth/telegram with Mini App init_data", () => {
  test("the first login creates a client with telegram_id, the second returns the same user", async () => {
    const tg = { id: 5_000_001, first_name: "Anna", username: "Anna_TG" };
    const r1 = await tgLogin({ init_data: initData(tg) });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(r1.body.user).toMatchObject({
      telegram_id: tg.id,
      role: "client",
      first_name: "Anna",
      username: "anna_tg",
      email: null,
    });
    expect(
      r1.headers.getSetCookie().some((c) => c.startsWith("refresh_token=") && c.includes("HttpOnly")),
    ).toBe(true);
    const me = await t.call("GET", "/api/v1/me", { token: r1.body.access_token });
    expect(me.body.telegram_id).toBe(tg.id);

    t.clock.advance(60_000);
    const r2 = await tgLogin({ init_data: initData({ ...tg, first_name: "Anya" }) });
    expect(r2.status).toBe(200);
    expect(r2.body.user.id).toBe(r1.body.user.id);
    expect(r2.body.user.first_name).toBe("Anya");
    expect(r2.body.refresh_token).not.toBe(r1.body.refresh_token);
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE telegram_id = ?").get(tg.id)).toEqual({
      n: 1,
    });
  });

  test("a Telegram username already taken locally is not stolen", async () => {
    await t.user("client", { username: "taken_name" });
    const r = await tgLogin({
      init_data: initData({ id: 5_000_002, first_name: "B", username: "Taken_Name" }),
    });
    expect(r.status).toBe(200);
    expect(r.body.user.username).toBeNull();
  });

  test.each([
    [
      "tampered user id",
      (s: string) => s.replace(encodeURIComponent('"id":5000003'), encodeURIComponent('"id":1')),
    ],
    [
      "tampered hash",
      (s: string) => s.replace(/hash=([0-9a-f])/, (_m, c) => `hash=${c === "0" ? "1" : "0"}`),
    ],
    ["removed hash", (s: string) => s.replace(/&?hash=[0-9a-f]+/, "")],
    [
      "shifted auth_date",
      (s: string) => s.replace(/auth_date=(\d+)/, (_m, d) => `auth_date=${Number(d) + 1}`),
    ],
    ["added field", (s: string) => `${s}&chat_type=private`],
    ["garbage", () => "not init data at all"],
  ])("%s -> 401 invalid_credentials, no user written", async (_name, tamper) => {
    const before = t.ctx.sqlite.query("SELECT count(*) AS n FROM users").get();
    const good = initData({ id: 5_000_003, first_name: "Mallory" });
    expect(tamper(good)).not.toBe(good);
    expectError(await tgLogin({ init_data: tamper(good) }), 401, "invalid_credentials");
    expect(t.ctx.sqlite.query("SELECT count(*) AS n FROM users").get()).toEqual(before);
  });

  test("signed with another bot's token -> 401 invalid_credentials", async () => {
    const r = await tgLogin({
      init_data: initData({ id: 5_000_004 }, new Date(t.clock.now()), "999:OTHER-token"),
    });
    expectError(r, 401, "invalid_credentials");
  });

  test("init data without a user -> 401 invalid_credentials", async () => {
    const data = sign({ query_id: "AAH" }, TEST_BOT_TOKEN, new Date(t.clock.now()));
    expectError(await tgLogin({ init_data: data }), 401, "invalid_credentials");
  });

  test("auth_date older than telegram_auth_max_age_seconds -> 401 token_expired", async () => {
    const app = makeTestApp();
    const now = app.clock.now();
    const at = (ageS: number) =>
      sign(
        { user: { id: 5_100_001, first_name: "Old" } as never },
        TEST_BOT_TOKEN,
        new Date(now - ageS * 1000),
      );
    // Default 86400 s.
    expect((await tgLogin({ init_data: at(DAY_S - 10) }, app)).status).toBe(200);
    expectError(await tgLogin({ init_data: at(DAY_S + 10) }, app), 401, "token_expired");
    // A tighter setting applies at once.
    app.ctx.settings.setNow({ telegram_auth_max_age_seconds: 300 }, now);
    expect((await tgLogin({ init_data: at(290) }, app)).status).toBe(200);
    expectError(await tgLogin({ init_data: at(310) }, app), 401, "token_expired");
    // The age is measured against the injected clock, not the wall clock.
    const fresh = at(0);
    app.clock.advance(301_000);
    expectError(await tgLogin({ init_data: fresh }, app), 401, "token_expired");
  });

  test("auth_date far in the future -> 401", async () => {
    const r = await tgLogin({ init_data: initData({ id: 5_000_005 }, new Date(t.clock.now() + 3_600_000)) });
    expect(r.status).toBe(401);
  });

  test("a banned Telegram user -> 403 forbidden", async () => {
    await t.user("client", { telegramId: 5_000_006, isBanned: true });
    expectError(await tgLogin({ init_data: initData({ id: 5_000_006 }) }), 403, "forbidden");
  });

  test.each([
    ["empty init_data", { init_data: "" }],
    ["init_data not a string", { init_data: 42 }],
    ["init_data with extra field", { init_data: "a=b", extra: 1 }],
    ["empty body", {}],
  ])("%s -> 400 validation_failed", async (_name, body) => {
    expectError(await tgLogin(body), 400, "validation_failed");
  });
});

describe("POST /auth/telegram with Login Widget fields", () => {
  test("a correct hash -> 200, creates then finds the user", async () => {
    const fields = {
      id: 6_000_001,
      first_name: "Widget",
      last_name: "User",
      username: "widget_user",
      auth_date: nowS(),
    };
    const r = await tgLogin(widget(fields));
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({
      telegram_id: 6_000_001,
      first_name: "Widget",
      last_name: "User",
      username: "widget_user",
      role: "client",
    });
    const again = await tgLogin(widget({ ...fields, auth_date: nowS() }));
    expect(again.status).toBe(200);
    expect(again.body.user.id).toBe(r.body.user.id);
  });

  test("photo_url is kept as the avatar", async () => {
    const r = await tgLogin(
      widget({ id: 6_000_002, photo_url: "https://t.me/i/userpic/1.jpg", auth_date: nowS() }),
    );
    expect(r.status).toBe(200);
    expect(r.body.user.avatar_url).toBe("https://t.me/i/userpic/1.jpg");
  });

  test.each([
    ["a changed field", (w: Record<string, unknown>) => ({ ...w, first_name: "Eve" })],
    ["a changed id", (w: Record<string, unknown>) => ({ ...w, id: 1 })],
    ["an added field", (w: Record<string, unknown>) => ({ ...w, last_name: "Added" })],
    ["a removed field", (w: Record<string, unknown>) => ({ ...w, username: undefined })],
    ["a zero hash", (w: Record<string, unknown>) => ({ ...w, hash: "0".repeat(64) })],
    [
      "the Mini App key (HMAC WebAppData) instead of SHA256(token)",
      (w: Record<string, unknown>) => {
        const { hash: _h, ...f } = w;
        const check = Object.keys(f)
          .sort()
          .map((k) => `${k}=${f[k]}`)
          .join("\n");
        const key = createHmac("sha256", "WebAppData").update(TEST_BOT_TOKEN).digest();
        return { ...f, hash: createHmac("sha256", key).update(check).digest("hex") };
      },
    ],
  ])("%s -> 401 invalid_credentials", async (_name, change) => {
    const w = widget({ id: 6_000_003, first_name: "Orig", username: "orig_user", auth_date: nowS() });
    const body = JSON.parse(JSON.stringify(change(w)));
    expectError(await tgLogin(body), 401, "invalid_credentials");
    expect(
      t.ctx.sqlite.query("SELECT count(*) AS n FROM users WHERE telegram_id IN (1, 6000003)").get(),
    ).toEqual({
      n: 0,
    });
  });

  test("signed with another bot's token -> 401", async () => {
    expectError(
      await tgLogin(widget({ id: 6_000_004, auth_date: nowS() }, "999:OTHER-token")),
      401,
      "invalid_credentials",
    );
  });

  test("auth_date older than the setting -> 401 token_expired", async () => {
    expectError(
      await tgLogin(widget({ id: 6_000_005, auth_date: nowS() - DAY_S - 1 })),
      401,
      "token_expired",
    );
  });

  test.each([
    ["hash not hex", { id: 1, auth_date: 1, hash: "zz" }],
    ["id as string", { id: "1", auth_date: 1, hash: "0".repeat(64) }],
    ["negative id", { id: -1, auth_date: 1, hash: "0".repeat(64) }],
    ["missing auth_date", { id: 1, hash: "0".repeat(64) }],
    ["unknown field", { id: 1, auth_date: 1, hash: "0".repeat(64), is_admin: true }],
  ])("%s -> 400 validation_failed", async (_name, body) => {
    expectError(await tgLogin(body), 400, "validation_failed");
  });
});

describe("Telegram login without a bot token", () => {
  test("parseEnv drops the empty TELEGRAM_BOT_TOKEN; both flows -> 403 forbidden", async () => {
    const app = makeTestApp({ TELEGRAM_BOT_TOKEN: "" });
    expect(app.ctx.env.TELEGRAM_BOT_TOKEN).toBeUndefined();
    const now = app.clock.now();
    const id = sign({ user: { id: 7_000_001 } as never }, TEST_BOT_TOKEN, new Date(now));
    expectError(await tgLogin({ init_data: id }, app), 403, "forbidden");
    expectError(
      await tgLogin(widget({ id: 7_000_001, auth_date: Math.floor(now / 1000) }), app),
      403,
      "forbidden",
    );
    expect(app.ctx.sqlite.query("SELECT count(*) AS n FROM users").get()).toEqual({ n: 0 });
  });
});

describe("alias", () => {
  test("/api/auth/telegram/ works", async () => {
    const r = await t.call("POST", "/api/auth/telegram/", {
      body: { init_data: initData({ id: 8_000_001 }) },
    });
    expect(r.status).toBe(200);
    expect(r.body.user.telegram_id).toBe(8_000_001);
  });
});
