import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import { readFile } from "node:fs/promises";
import { join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Where `npm run build:web` writes the page (web/dist), and where `npm run build` puts it beside dist/edge. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));
export const WEB_PATH = "/app/";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".svg": "image/svg+xml",
};

// The page talks only to this origin (its Connect API under /connect): nothing else may run or be fetched.
const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

/**
 * The trading page (web/): static files under /app/ from `dir`, GET and HEAD only. `/app` redirects to `/app/`;
 * an unknown file or a path leaving `dir` is 404. When the page is not built, /app/ says how to build it.
 */
export function tradingPage(dir: string = DEFAULT_WEB_DIR): (request: NodeRequest, response: NodeResponse) => Promise<boolean> {
  const root = normalize(dir + sep);
  return async (request, response) => {
    const path = (request.url ?? "/").split("?")[0]!;
    if (path === "/app") {
      response.writeHead(308, { location: WEB_PATH });
      response.end();
      return true;
    }
    if (!path.startsWith(WEB_PATH)) return false;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" });
      response.end();
      return true;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice(WEB_PATH.length)) || "index.html";
    } catch {
      response.writeHead(400);
      response.end();
      return true;
    }
    const file = normalize(join(root, name));
    const type = TYPES[file.slice(file.lastIndexOf("."))];
    if (!file.startsWith(root) || !type) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("Not found\n");
      return true;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": type, "content-length": body.length, ...SECURITY_HEADERS });
      if (request.method === "HEAD") response.end();
      else response.end(body);
    } catch {
      const unbuilt = name === "index.html";
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end(unbuilt ? "The trading page is not built: npm run build:web\n" : "Not found\n");
    }
    return true;
  };
}
