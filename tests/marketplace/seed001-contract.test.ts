import { describe, expect, test } from "bun:test";
import { makeTestApp } from "../helpers/app";
import { makeExpert, makeSubject } from "../helpers/marketplace";

/**
 * Seed 001 §8: every path of the compatibility contract answers under /api (with its trailing
 * slash), appointments meaning orders. A route that did not exist would be 404 (or 405); each
 * call here names objects that exist, so any 404/405 is a missing route.
 */
describe("seed 001 §8 compatibility contract", () => {
  test("every listed path is served", async () => {
    const t = makeTestApp();
    const admin = await t.user("admin");
    const client = await t.user("client");
    const subject = makeSubject(t);
    const expert = await makeExpert(t, [subject.id]);
    const other = await t.user("client");
    const o = (
      await t.call("POST", "/api/appointments/", {
        token: client.token,
        body: { title: "x", subject_id: subject.id },
      })
    ).body;
    const msgOrder = o.id;
    await t.call("POST", `/api/appointments/${o.id}/take/`, { token: expert.token });
    const msg = (
      await t.call("POST", `/api/appointments/${msgOrder}/messages/`, {
        token: client.token,
        body: { body: "hi" },
      })
    ).body;
    const id = o.id;
    const calls: [string, string, string, unknown?][] = [
      ["GET", "/api/auth/bootstrap-status/", ""],
      ["POST", "/api/auth/bootstrap-admin/", "", { email: "a@b.cd", password: "long-enough-password" }],
      ["POST", "/api/auth/login/", "", { login: "nobody", password: "x" }],
      ["POST", "/api/auth/telegram/", "", { init_data: "x" }],
      ["POST", "/api/auth/refresh/", "", {}],
      ["POST", "/api/auth/logout/", "", {}],
      ["GET", "/api/me/", client.token],
      ["GET", "/api/dashboard/", client.token],
      ["POST", "/api/appointments/", client.token, { title: "y", subject_id: subject.id }],
      ["GET", "/api/appointments/my/", client.token],
      ["GET", "/api/appointments/new/", expert.token],
      ["GET", "/api/appointments/active/", client.token],
      ["GET", `/api/appointments/${id}/`, client.token],
      ["GET", `/api/appointments/${id}/events/`, client.token],
      ["POST", `/api/appointments/${id}/take/`, expert.token],
      ["POST", `/api/appointments/${id}/set-price/`, expert.token, { price: 100 }],
      ["POST", `/api/appointments/${id}/upload-payment-proof/`, client.token],
      ["POST", `/api/appointments/${id}/mark-paid/`, client.token, {}],
      ["POST", `/api/appointments/${id}/confirm-payment/`, expert.token],
      ["POST", `/api/appointments/${id}/start/`, expert.token],
      ["POST", `/api/appointments/${id}/complete/`, expert.token],
      ["POST", `/api/appointments/${id}/decline/`, expert.token],
      ["GET", `/api/appointments/${msgOrder}/messages/`, client.token],
      ["POST", `/api/appointments/${msgOrder}/messages/`, client.token, { body: "again" }],
      ["DELETE", `/api/messages/${msg.id}/`, client.token],
      ["POST", `/api/appointments/${msgOrder}/read/`, expert.token],
      ["POST", `/api/appointments/${id}/review-master/`, client.token, { rating: 5 }],
      ["POST", `/api/appointments/${id}/review-client/`, expert.token, { rating: 5 }],
      ["GET", "/api/admin/appointments/", admin.token],
      ["POST", `/api/admin/appointments/${id}/confirm-payment/`, admin.token],
      [
        "POST",
        `/api/admin/appointments/${id}/set-status/`,
        admin.token,
        { status: "cancelled", reason: "test" },
      ],
      ["GET", "/api/admin/users/", admin.token],
      ["GET", "/api/admin/users/all/", admin.token],
      ["POST", `/api/admin/users/${other.id}/ban/`, admin.token, { reason: "spam" }],
      ["POST", `/api/admin/users/${other.id}/unban/`, admin.token, {}],
      ["POST", `/api/admin/users/${other.id}/role/`, admin.token, { role: "client" }],
      ["GET", "/api/admin/masters/", admin.token],
      ["POST", `/api/admin/masters/${expert.id}/suspend/`, admin.token, {}],
      ["POST", `/api/admin/masters/${expert.id}/activate/`, admin.token, {}],
      ["GET", "/api/admin/system/status/", admin.token],
      ["GET", "/api/admin/system/settings/", admin.token],
      ["PUT", "/api/admin/system/settings/", admin.token, { auto_accept_days: 3 }],
      ["PATCH", "/api/admin/system/settings/", admin.token, { auto_accept_days: 4 }],
      ["POST", "/api/admin/system/run-action/", admin.token, { action: "orders-sla-breach" }],
      ["GET", "/healthz", ""],
      ["GET", "/api/health/", ""],
    ];
    const missing: string[] = [];
    for (const [method, path, token, body] of calls) {
      const res = await t.call(method, path, { token: token || undefined, body });
      if (res.status === 404 || res.status === 405 || res.status >= 500) {
        missing.push(`${method} ${path} -> ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
