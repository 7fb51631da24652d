import { afterAll, expect } from "vitest";
import { objectDownloadRoute } from "#kit/adapters/object-download.http.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileObjectStore } from "#kit/adapters/object-store.file.js";
import { objectStoreContract } from "#kit/ports/object-store.contract.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

objectStoreContract("file", () => ({
  open: async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "objects-"));
    dirs.push(dir);
    return new FileObjectStore({ dir });
  },
  // The route the embedded process serves them on, called in process.
  download: async (store, url) => {
    let status = 0;
    const chunks: Buffer[] = [];
    const response = { writeHead: (code: number) => ((status = code), response), end: (data?: string | Buffer) => data !== undefined && chunks.push(Buffer.from(data)) };
    const served = await objectDownloadRoute(store, (store as FileObjectStore).urlSecret)({ method: "GET", url } as never, response as never);
    expect(served).toBe(true);
    return { status, body: new Uint8Array(Buffer.concat(chunks)) };
  },
}));
