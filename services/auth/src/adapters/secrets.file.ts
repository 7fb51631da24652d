import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { MasterKey, Secrets } from "../ports/secrets.port.js";

/** The id a sealed value records: a short hash of the key, never the key. */
export function masterKeyId(key: Uint8Array): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

export function parseMasterKey(base64: string, source: string): MasterKey {
  const key = Buffer.from(base64.trim(), "base64");
  if (key.length !== 32) throw new Error(`${source} must be the base64 of 32 bytes (got ${key.length})`);
  return { id: masterKeyId(key), key };
}

/**
 * Embedded mode: the master key comes from an env var (AUTH_MASTER_KEY, base64 of 32 bytes) or,
 * when that is unset, from a key file in the data dir that is generated (mode 0600) on first use.
 */
export class FileSecrets implements Secrets {
  private cached?: MasterKey;

  constructor(private readonly options: { readonly envValue?: string; readonly keyFile: string }) {}

  async masterKey(): Promise<MasterKey> {
    this.cached ??= this.load();
    return this.cached;
  }

  private load(): MasterKey {
    if (this.options.envValue) return parseMasterKey(this.options.envValue, "AUTH_MASTER_KEY");
    const file = this.options.keyFile;
    try {
      return parseMasterKey(readFileSync(file, "utf8"), file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    return parseMasterKey(readFileSync(file, "utf8"), file);
  }
}
