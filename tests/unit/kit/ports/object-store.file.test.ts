import { afterAll } from "vitest";
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
}));
