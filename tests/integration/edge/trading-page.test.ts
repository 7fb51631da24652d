import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, request, type Server } from "node:http";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { tradingPage } from "../../../edge/src/web/trading-page.js";

// The edge's static handler for the trading page (/app/), on a plain node:http server over a temporary directory.
let dir: string;
let server: Server;
let base: string;
let emptyServer: Server;
let emptyBase: string;

async function serve(root: string): Promise<[Server, string]> {
  const handle = tradingPage(root);
  const s = createServer((request, response) => {
    void handle(request, response).then((handled) => handled || response.writeHead(418).end());
  });
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return [s, `http://127.0.0.1:${(s.address() as AddressInfo).port}`];
}

/** A GET with the path exactly as written (fetch would resolve the dots first). */
function rawStatus(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(base);
    request({ hostname, port, path }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on("error", reject)
      .end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "trading-page-"));
  mkdirSync(join(dir, "page"));
  writeFileSync(join(dir, "page", "index.html"), "<!doctype html><title>t</title>");
  writeFileSync(join(dir, "page", "app.js"), "export {};");
  writeFileSync(join(dir, "secret.js"), "nope");
  [server, base] = await serve(join(dir, "page"));
  [emptyServer, emptyBase] = await serve(join(dir, "missing"));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => emptyServer.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe("the trading page's files", () => {
  it("serves index.html at /app/ with a same-origin-only policy, and its script", async () => {
    const page = await fetch(`${base}/app/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(await page.text()).toContain("<title>t</title>");
    const script = await fetch(`${base}/app/app.js?v=1`);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("redirects /app to /app/ and leaves other paths to the next handler", async () => {
    const redirect = await fetch(`${base}/app`, { redirect: "manual" });
    expect([redirect.status, redirect.headers.get("location")]).toEqual([308, "/app/"]);
    expect((await fetch(`${base}/api/v3/ping`)).status).toBe(418);
  });

  it("never serves a file outside its directory, nor an unknown kind, nor anything but GET and HEAD", async () => {
    for (const path of ["/app/..%2fsecret.js", "/app/../secret.js", "/app/%2e%2e/secret.js"]) expect(await rawStatus(path)).toBe(404);
    expect((await fetch(`${base}/app/index.txt`)).status).toBe(404);
    expect((await fetch(`${base}/app/`, { method: "POST" })).status).toBe(405);
  });

  it("says how to build the page when it is not built", async () => {
    const response = await fetch(`${emptyBase}/app/`);
    expect(response.status).toBe(404);
    expect(await response.text()).toContain("npm run build:web");
  });
});
