import { describe, expect, test } from "bun:test";
import { makeTestApp } from "../helpers/app";
import { fundWallet, makeExpert, makeOrder, makeSubject } from "../helpers/marketplace";

/**
 * DESIGN.md §8: every route fed malformed JSON, wrong types, unknown fields and odd ids answers a
 * 4xx envelope, never a 5xx. Routes come from /openapi.json, so a new route is fuzzed unasked.
 */
const BODIES: (string | undefined)[] = [
  undefined,
  "",
  "{",
  "[]",
  "null",
  '"text"',
  "123",
  '{"unknown_field": 1}',
  '{"__proto__": {"x": 1}}',
  JSON.stringify({ id: -1, amount: "1", price: 1e300, seconds: -5, title: "x".repeat(100_000), rating: 9 }),
];
const IDS = ["1", "0", "-1", "abc", "99999999999999999999", "1.5"];

describe("fuzz every documented route", async () => {
  const t = makeTestApp();
  const admin = await t.user("admin");
  const client = await t.user("client");
  const subject = makeSubject(t);
  await makeExpert(t, [subject.id]);
  makeOrder(t, { clientId: client.id, subjectId: subject.id });
  fundWallet(t, client.id, 1000);
  const doc = (await t.call("GET", "/openapi.json")).body;
  const ops: [string, string][] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of Object.keys(item))
      if (["get", "post", "put", "patch", "delete"].includes(method)) ops.push([method, path]);
  }

  let sent = 0;
  test("the document lists the marketplace", () => {
    expect(ops.length).toBeGreaterThan(100);
  });

  for (const [method, path] of ops) {
    test(`${method.toUpperCase()} ${path}`, async () => {
      const failures: string[] = [];
      for (const id of path.includes("{") ? IDS : ["-"]) {
        const url = path.replace(/\{[^}]+\}/g, id);
        for (const token of [admin.token, client.token, undefined]) {
          for (const raw of method === "get" || method === "delete" ? [undefined] : BODIES) {
            const headers: Record<string, string> = {};
            if (token) headers.authorization = `Bearer ${token}`;
            if (raw !== undefined) headers["content-type"] = "application/json";
            for (const query of ["", "?page=-1&page_size=abc&date_from=x&status=%00"]) {
              sent++;
              const res = await t.app.request(url + query, {
                method: method.toUpperCase(),
                headers,
                body: raw,
              });
              // An event stream that opened stays open: its status is the answer.
              if (res.headers.get("content-type")?.startsWith("text/event-stream")) {
                await res.body?.cancel();
                continue;
              }
              const text = await res.text();
              if (res.status >= 500)
                failures.push(`${res.status} ${url} body=${raw?.slice(0, 40)} -> ${text.slice(0, 200)}`);
              else if (res.status >= 400 && res.headers.get("content-type")?.includes("json")) {
                const body = JSON.parse(text);
                if (typeof body?.error?.code !== "string")
                  failures.push(`no envelope ${res.status} ${url}: ${text.slice(0, 100)}`);
              }
            }
          }
        }
      }
      expect(failures).toEqual([]);
      expect(sent).toBeGreaterThan(0);
    });
  }
});

describe("every secured route refuses a call without credentials", async () => {
  const t = makeTestApp();
  const doc = (await t.call("GET", "/openapi.json")).body;
  const secured: [string, string][] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item))
      if (op?.security?.length) secured.push([method, path]);
  }

  test("401 unauthenticated, whatever the route", async () => {
    expect(secured.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const [method, path] of secured) {
      const res = await t.app.request(path.replace(/\{[^}]+\}/g, "1"), { method: method.toUpperCase() });
      const body = (await res.json()) as any;
      if (res.status !== 401 || body?.error?.code !== "unauthenticated")
        wrong.push(`${method} ${path} -> ${res.status}`);
    }
    expect(wrong).toEqual([]);
  });
});
