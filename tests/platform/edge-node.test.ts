import { beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import type { AppContext } from "../../src/context";
import { REPLICATION_HEADER } from "../../src/http/replication";
import { expectError, makeTestApp, type TestApp } from "../helpers/app";

// An edge node in process: it shares the primary's database (as a synced replica would), has its
// own DATA_DIR (no uploaded files), and reaches the primary app through a fetch stub.
const PDF = new Uint8Array([
  0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x25, 0xe2, 0xe3, 0xcf, 0xd3,
]);
const V1 = "/api/v1";

let primary: TestApp;
let edge: ReturnType<typeof createApp>;
let forwarded: Request[];
let synced: number[];
let primaryDown: boolean;
let frame: number;

beforeEach(() => {
  primary = makeTestApp();
  forwarded = [];
  synced = [];
  primaryDown = false;
  frame = 10;
  const toPrimary = (async (input: string, init?: RequestInit) => {
    const req = new Request(input, init);
    forwarded.push(req.clone() as unknown as Request);
    if (primaryDown) throw new TypeError("connect ECONNREFUSED");
    const res = await primary.app.request(req);
    const out = new Response(res.body, res);
    if (req.method !== "GET") out.headers.set(REPLICATION_HEADER, "42");
    return out;
  }) as typeof fetch;
  const ctx: AppContext = {
    ...primary.ctx,
    env: {
      ...primary.ctx.env,
      PRIMARY_URL: "http://primary.test",
      DATA_DIR: mkdtempSync(join(tmpdir(), "edge-")),
    },
    fetch: toPrimary,
    replica: {
      sync: () => frame,
      syncUntil: (n) => {
        synced.push(n);
        frame = n;
      },
      writeIndex: () => 0,
      frame: () => frame,
    },
  };
  edge = createApp(ctx);
});

async function uploadDocument(token: string) {
  const form = new FormData();
  form.append("file", new File([PDF], "cv.pdf", { type: "application/pdf" }));
  form.append("title", "CV");
  return edge.request(`${V1}/experts/documents`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "203.0.113.7" },
    body: form,
  });
}

describe("an edge node", () => {
  test("forwards a write to the primary with its body, and keeps the write's replication index", async () => {
    const expert = await primary.user("expert");
    const res = await uploadDocument(expert.token);
    expect(res.status).toBe(201);
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]!.url).toBe("http://primary.test/api/v1/experts/documents");
    expect(forwarded[0]!.headers.get("x-forwarded-host")).toBe("localhost");
    expect(res.headers.get(REPLICATION_HEADER)).toBe("42");
    expect(res.headers.get("set-cookie")).toContain("souk_ri=42");
    // The next read with that index waits for the replica to reach it.
    const list = await edge.request(`${V1}/experts/documents`, {
      headers: { authorization: `Bearer ${expert.token}`, [REPLICATION_HEADER]: "42" },
    });
    expect(list.status).toBe(200);
    expect(synced).toEqual([42]);
    expect(forwarded).toHaveLength(1); // the read was served here
  });

  test("a read with an index the replica already holds syncs nothing; the cookie works like the header", async () => {
    const u = await primary.user();
    await edge.request(`${V1}/me`, {
      headers: { authorization: `Bearer ${u.token}`, [REPLICATION_HEADER]: "5" },
    });
    expect(synced).toEqual([]);
    await edge.request(`${V1}/me`, { headers: { authorization: `Bearer ${u.token}`, cookie: "souk_ri=77" } });
    expect(synced).toEqual([77]);
  });

  test("an uploaded file kept on the primary's disk is fetched from the primary, after this node's access check", async () => {
    const expert = await primary.user("expert");
    const doc = (await (await uploadDocument(expert.token)).json()) as { id: number };
    const path = `${V1}/experts/documents/${doc.id}/file`;
    const res = await edge.request(path, { headers: { authorization: `Bearer ${expert.token}` } });
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(PDF);
    expect(forwarded.at(-1)!.url).toBe(`http://primary.test${path}`);
    // Someone else is refused here, without asking the primary.
    const stranger = await primary.user();
    const before = forwarded.length;
    const denied = await edge.request(path, { headers: { authorization: `Bearer ${stranger.token}` } });
    expect(denied.status).toBe(404);
    expect(forwarded).toHaveLength(before);
  });

  test("the live stream is forwarded (events are published by the writing node)", async () => {
    await edge.request(`${V1}/notifications/stream`);
    expect(forwarded.at(-1)!.url).toBe("http://primary.test/api/v1/notifications/stream");
    // Also under the /api prefix, which routes the same.
    await edge.request("/api/notifications/stream/");
    expect(forwarded.at(-1)!.url).toBe("http://primary.test/api/notifications/stream/");
  });

  test("an unreachable primary is a 503 envelope with Retry-After; nothing is written", async () => {
    primaryDown = true;
    const u = await primary.user();
    const res = await edge.request(`${V1}/me`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({ first_name: "Edgar" }),
    });
    expect(res.headers.get("retry-after")).toBe("1");
    expectError({ status: res.status, body: await res.json() }, 503, "service_unavailable");
    const me = await primary.call("GET", `${V1}/me`, { token: u.token });
    expect(me.body.first_name).toBeNull();
  });
});
