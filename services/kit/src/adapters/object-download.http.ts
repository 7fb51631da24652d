/**
 * Downloads of the directory object store's objects over the process's HTTP port, by signed URL: the embedded
 * stand-in for S3's pre-signed URLs. `GET /objects/<key>?expires=<ms>&name=<file name>&signature=<hex>` where the
 * signature is HMAC-SHA256(secret, "<key>\n<expires>\n<name>"); expired or altered URLs answer 403.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { NodeRequest, NodeResponse } from "../rpc/server.js";
import type { ObjectStore } from "../ports/object-store.port.js";

export const DOWNLOAD_PATH = "/objects/";

function signature(secret: string, key: string, expires: number, name: string): string {
  return createHmac("sha256", secret).update(`${key}\n${expires}\n${name}`).digest("hex");
}

export function signDownload(secret: string, key: string, expires: number, name = ""): string {
  const path = key.split("/").map(encodeURIComponent).join("/");
  const query = new URLSearchParams({ expires: String(expires), ...(name ? { name } : {}), signature: signature(secret, key, expires, name) });
  return `${DOWNLOAD_PATH}${path}?${query.toString()}`;
}

/** An httpRoute serving signed downloads from `store`; false for other paths. */
export function objectDownloadRoute(store: ObjectStore, secret: string, now: () => number = Date.now) {
  return async (request: NodeRequest, response: NodeResponse): Promise<boolean> => {
    const url = new URL(request.url ?? "/", "http://local");
    if (request.method !== "GET" || !url.pathname.startsWith(DOWNLOAD_PATH)) return false;
    const key = url.pathname.slice(DOWNLOAD_PATH.length).split("/").map(decodeURIComponent).join("/");
    const expires = Number(url.searchParams.get("expires"));
    const name = url.searchParams.get("name") ?? "";
    const given = Buffer.from(url.searchParams.get("signature") ?? "", "hex");
    const expected = Buffer.from(signature(secret, key, expires, name), "hex");
    const deny = (status: number, message: string) => {
      response.writeHead(status, { "content-type": "text/plain" });
      response.end(message);
      return true;
    };
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return deny(403, "bad signature");
    if (!Number.isFinite(expires) || expires < now()) return deny(403, "expired");
    const object = await store.get(key).catch(() => undefined);
    if (!object) return deny(404, "no such object");
    response.writeHead(200, {
      "content-type": object.contentType,
      "content-length": String(object.body.length),
      ...(name ? { "content-disposition": `attachment; filename="${name.replace(/[^\w.-]/g, "_")}"` } : {}),
    });
    response.end(Buffer.from(object.body));
    return true;
  };
}
