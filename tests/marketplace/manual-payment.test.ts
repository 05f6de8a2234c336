import { beforeEach, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";
import { makeExpert, makeSubject, wallet } from "../helpers/marketplace";

let t: TestApp;
let client: Awaited<ReturnType<TestApp["user"]>>;
let expert: Awaited<ReturnType<TestApp["user"]>>;
let orderId: number;

const PDF = new Uint8Array([
  0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0x25, 0x45, 0x4f, 0x46,
]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);

async function upload(path: string, token: string, file: File | null, app = t) {
  const form = new FormData();
  if (file) form.set("file", file);
  const res = await app.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

const act = (path: string, token: string, body?: unknown) =>
  t.call("POST", `/api/v1/orders/${path}`, { token, body });
const uploads = () => {
  try {
    return readdirSync(join(t.ctx.env.DATA_DIR, "uploads"));
  } catch {
    return [];
  }
};

async function setup(app: TestApp) {
  t = app;
  const subject = makeSubject(t);
  client = await t.user("client");
  expert = await makeExpert(t, [subject.id]);
  const o = await t.call("POST", "/api/appointments/", {
    token: client.token,
    body: { title: "Lesson", subject_id: subject.id },
  });
  orderId = o.body.id;
  await t.call("POST", `/api/appointments/${orderId}/take/`, { token: expert.token });
  await t.call("POST", `/api/appointments/${orderId}/set-price/`, {
    token: expert.token,
    body: { price: 150_00 },
  });
}

beforeEach(() => setup(makeTestApp()));

describe("manual payment route (seed 001)", () => {
  test("proof upload -> confirm by the expert -> start -> complete without escrow", async () => {
    const up = await upload(
      `/api/appointments/${orderId}/upload-payment-proof/`,
      client.token,
      new File([PDF], "receipt.pdf"),
    );
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ status: "payment_proof_uploaded", payment_method: "manual" });
    expect(uploads()).toHaveLength(1);
    // Both parties can download it, as an attachment of the sniffed type.
    for (const who of [client, expert]) {
      const f = await t.app.request(`/api/v1/orders/${orderId}/payment-proof`, {
        headers: { authorization: `Bearer ${who.token}` },
      });
      expect(f.status).toBe(200);
      expect(f.headers.get("content-type")).toBe("application/pdf");
      expect(f.headers.get("content-disposition")).toContain("attachment");
      expect(new Uint8Array(await f.arrayBuffer())).toEqual(PDF);
    }
    const paid = await t.call("POST", `/api/appointments/${orderId}/confirm-payment/`, {
      token: expert.token,
    });
    expect(paid.body).toMatchObject({ status: "paid", payment_method: "manual", escrow_amount: 0 });
    await act(`${orderId}/start`, expert.token);
    const done = await t.call("POST", `/api/appointments/${orderId}/complete/`, { token: expert.token });
    expect(done.body.status).toBe("completed");
    // No money moved through the ledger.
    expect(wallet(t, client.id)).toEqual({ available: 0, held: 0 });
    expect(wallet(t, expert.id)).toEqual({ available: 0, held: 0 });
    const tl = await t.call("GET", `/api/appointments/${orderId}/events/`, { token: client.token });
    expect(tl.body.results.map((e: any) => e.type)).toContain("order.upload_payment_proof");
  });

  test("re-uploading while unconfirmed replaces the proof", async () => {
    await upload(`/api/v1/orders/${orderId}/upload-payment-proof`, client.token, new File([PDF], "a.pdf"));
    const again = await upload(
      `/api/v1/orders/${orderId}/upload-payment-proof`,
      client.token,
      new File([PNG], "b.png"),
    );
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("payment_proof_uploaded");
    const f = await t.app.request(`/api/v1/orders/${orderId}/payment-proof`, {
      headers: { authorization: `Bearer ${client.token}` },
    });
    expect(f.headers.get("content-type")).toBe("image/png");
  });

  test("mark-paid without a file, then an admin confirms (audited)", async () => {
    const m = await t.call("POST", `/api/appointments/${orderId}/mark-paid/`, {
      token: client.token,
      body: { note: "bank transfer #42" },
    });
    expect(m.body.status).toBe("payment_proof_uploaded");
    const admin = await t.user("admin");
    const c = await t.call("POST", `/api/admin/appointments/${orderId}/confirm-payment/`, {
      token: admin.token,
    });
    expect(c.body.status).toBe("paid");
    const log = await t.call("GET", "/api/v1/admin/audit-log", { token: admin.token });
    expect(log.body.results[0]).toMatchObject({
      action: "order.confirm_payment",
      target_id: String(orderId),
    });
  });

  test("the client cannot confirm; strangers cannot upload or download", async () => {
    await act(`${orderId}/mark-paid`, client.token);
    expectError(await act(`${orderId}/confirm-payment`, client.token), 403, "forbidden");
    const stranger = await t.user("client");
    expectError(
      await upload(
        `/api/v1/orders/${orderId}/upload-payment-proof`,
        stranger.token,
        new File([PDF], "x.pdf"),
      ),
      404,
      "not_found",
    );
    expectError(
      await t.call("GET", `/api/v1/orders/${orderId}/payment-proof`, { token: stranger.token }),
      404,
      "not_found",
    );
    expectError(
      await t.call("GET", `/api/v1/orders/${orderId}/payment-proof`, { token: client.token }),
      404,
      "not_found",
    );
    expect(uploads()).toHaveLength(0);
  });

  test("415 for other types or a JSON body, 400 without a file, 409 in the wrong state — no file kept", async () => {
    expectError(
      await upload(
        `/api/v1/orders/${orderId}/upload-payment-proof`,
        client.token,
        new File(["hello"], "a.pdf"),
      ),
      415,
      "unsupported_media_type",
    );
    expectError(
      await act(`${orderId}/upload-payment-proof`, client.token, { file: "x" }),
      415,
      "unsupported_media_type",
    );
    expectError(
      await upload(`/api/v1/orders/${orderId}/upload-payment-proof`, client.token, null),
      400,
      "validation_failed",
    );
    expectError(
      await upload(`/api/v1/orders/${orderId}/upload-payment-proof`, expert.token, new File([PDF], "a.pdf")),
      403,
      "forbidden",
    );
    await act(`${orderId}/mark-paid`, client.token);
    await act(`${orderId}/confirm-payment`, expert.token);
    expectError(
      await upload(`/api/v1/orders/${orderId}/upload-payment-proof`, client.token, new File([PDF], "a.pdf")),
      409,
      "invalid_transition",
    );
    expect(uploads()).toHaveLength(0);
  });

  test("413 over UPLOAD_MAX_BYTES", async () => {
    await setup(makeTestApp({ UPLOAD_MAX_BYTES: "1024" }));
    const big = new Uint8Array(4096);
    big.set(PDF);
    expectError(
      await upload(
        `/api/v1/orders/${orderId}/upload-payment-proof`,
        client.token,
        new File([big], "big.pdf"),
      ),
      413,
      "payload_too_large",
    );
    const huge = new Uint8Array(200 * 1024);
    huge.set(PDF);
    expectError(
      await upload(
        `/api/v1/orders/${orderId}/upload-payment-proof`,
        client.token,
        new File([huge], "huge.pdf"),
      ),
      413,
      "payload_too_large",
    );
    expect(uploads()).toHaveLength(0);
  });
});

describe("admin orders (seed 001 admin appointments)", () => {
  test("list with filters; support reads, clients cannot", async () => {
    const admin = await t.user("admin");
    const all = await t.call("GET", "/api/admin/appointments/?status=awaiting_payment", {
      token: admin.token,
    });
    expect(all.body.count).toBe(1);
    expect(
      (await t.call("GET", `/api/v1/admin/orders?client_id=${client.id}`, { token: admin.token })).body.count,
    ).toBe(1);
    expect((await t.call("GET", "/api/v1/admin/orders?status=new", { token: admin.token })).body.count).toBe(
      0,
    );
    const support = await t.user("support");
    expect((await t.call("GET", "/api/v1/admin/orders", { token: support.token })).status).toBe(200);
    expectError(await t.call("GET", "/api/v1/admin/orders", { token: client.token }), 403, "forbidden");
    expectError(
      await t.call("GET", "/api/v1/admin/orders?sla_breached=maybe", { token: admin.token }),
      400,
      "validation_failed",
    );
  });

  test("set-status overrides, audited and on the timeline; support cannot", async () => {
    const admin = await t.user("admin");
    const r = await t.call("POST", `/api/admin/appointments/${orderId}/set-status/`, {
      token: admin.token,
      body: { status: "in_review", reason: "price was wrong" },
    });
    expect(r.body).toMatchObject({ status: "in_review", status_reason: "price was wrong" });
    const tl = await t.call("GET", `/api/v1/orders/${orderId}/events`, { token: client.token });
    expect(tl.body.results.at(-1)).toMatchObject({ type: "order.status_overridden", actor_id: admin.id });
    const support = await t.user("support");
    expectError(
      await t.call("POST", `/api/v1/admin/orders/${orderId}/set-status`, {
        token: support.token,
        body: { status: "new", reason: "x" },
      }),
      403,
      "forbidden",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/orders/${orderId}/set-status`, {
        token: admin.token,
        body: { status: "in_review", reason: "x" },
      }),
      409,
      "invalid_transition",
    );
    expectError(
      await t.call("POST", `/api/v1/admin/orders/${orderId}/set-status`, {
        token: admin.token,
        body: { status: "done", reason: "x" },
      }),
      400,
      "validation_failed",
    );
    expectError(
      await t.call("POST", "/api/v1/admin/orders/999/set-status", {
        token: admin.token,
        body: { status: "new", reason: "x" },
      }),
      404,
      "not_found",
    );
  });
});
