import { expect, test } from "bun:test";
import { makeTestApp } from "../helpers/app";
import { grantSeconds } from "../helpers/billing";

/**
 * The Screph app's real flow: the user makes a key limited to minutes, the app checks the
 * balance, reserves a hold before a recognition session, reports each chunk against the hold
 * (retrying one chunk as a network retry would), and releases the rest when the session ends.
 */
test("Screph: per-user key, hold, usages against the hold, release", async () => {
  const t = makeTestApp();
  const user = await t.user();
  grantSeconds(t, user.id, 600);

  const created = await t.call("POST", "/api/v1/me/api-keys", {
    token: user.token,
    body: { name: "screph-desktop", scopes: ["usage:write", "usage:read", "balance:read"] },
  });
  expect(created.status).toBe(201);
  const key = created.body.key as string;
  const as = (method: string, path: string, body?: unknown) => t.call(method, path, { token: key, body });

  expect((await as("GET", "/api/users/me/balance/")).body.remaining_seconds).toBe(600);

  const hold = await as("POST", "/api/v1/usage/holds", { seconds: 180, ttl_seconds: 900 });
  expect(hold.status).toBe(201);
  expect((await as("GET", "/api/v1/users/me/balance")).body).toMatchObject({
    remaining_seconds: 420,
    held_seconds: 180,
  });

  const chunks = [
    { id: "sess1-1", seconds: 50 },
    { id: "sess1-2", seconds: 44 },
    { id: "sess1-3", seconds: 7 },
  ];
  for (const c of chunks) {
    const r = await as("POST", "/api/usage/record/", { ...c, hold_id: hold.body.id, service: "speechkit" });
    expect(r.status).toBe(201);
  }
  // A retried chunk (lost response) is a replay, not a second charge.
  const retry = await as("POST", "/api/usage/record/", {
    ...chunks[1],
    hold_id: hold.body.id,
    service: "speechkit",
  });
  expect(retry.status).toBe(200);

  // 60 + 45 + 15 = 120 billed from the hold; 60 still held.
  expect((await as("GET", "/api/v1/users/me/balance")).body).toMatchObject({
    remaining_seconds: 420,
    held_seconds: 60,
  });

  const released = await as("POST", `/api/v1/usage/holds/${hold.body.id}/release`);
  expect(released.body).toMatchObject({ status: "released", remaining_seconds: 60 });
  expect((await as("GET", "/api/v1/users/me/balance")).body).toMatchObject({
    remaining_seconds: 480,
    held_seconds: 0,
  });

  const history = await as("GET", "/api/v1/usage");
  expect(history.body.results.map((r: { id: string }) => r.id)).toEqual(["sess1-3", "sess1-2", "sess1-1"]);

  // The key cannot do anything else with the account.
  expect((await as("PATCH", "/api/v1/me", { bio: "x" })).status).toBe(403);
});
