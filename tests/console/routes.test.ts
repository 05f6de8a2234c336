import { describe, expect, test } from "bun:test";
import { CONSOLE_CSP } from "../../src/console/routes";
import { makeTestApp } from "../helpers/app";

const t = makeTestApp();

describe("GET /admin", () => {
  test("the page: every path under /admin, a strict CSP, only souk's own script and style", async () => {
    for (const path of ["/admin", "/admin/", "/admin/users/12"]) {
      const res = await t.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      const html = await res.text();
      expect(html).toContain('<div id="app"></div>');
      // No inline script, nothing from another origin.
      expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe");
  }, 30_000);

  test("the assets: versioned URLs, cached for a year, gzipped when asked", async () => {
    const html = await (await t.app.request("/admin")).text();
    const js = /src="(\/admin\/assets\/app\.js\?v=\w+)"/.exec(html)![1]!;
    const css = /href="(\/admin\/assets\/app\.css\?v=\w+)"/.exec(html)![1]!;
    const plain = await t.app.request(js);
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toContain("text/javascript");
    expect(plain.headers.get("cache-control")).toContain("immutable");
    const body = await plain.text();
    // The bundle talks to souk's API and nothing else.
    expect(body).toContain("/api/v1");
    expect(body).not.toMatch(/fetch\(["'`]https?:/);
    const gz = await t.app.request(js, { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await gz.arrayBuffer())))).toBe(body);
    const style = await t.app.request(css);
    expect(style.headers.get("content-type")).toContain("text/css");
    expect(await style.text()).toContain(".uplot");
  }, 30_000);
});
