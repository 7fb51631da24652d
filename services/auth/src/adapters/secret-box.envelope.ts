import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretBox } from "../ports/secret-box.port.js";
import type { Secrets } from "../ports/secrets.port.js";

// Envelope encryption: each secret gets its own random 256-bit data key (AES-256-GCM); the data
// key is itself sealed by the master key from the Secrets port. Stored form:
//   v1.<master key id>.<base64url(iv|tag|wrapped data key)>.<base64url(iv|tag|ciphertext)>
// Rotating the master key only re-wraps data keys; a database dump alone reveals nothing.

const VERSION = "v1";

function gcmSeal(key: Uint8Array, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function gcmOpen(key: Uint8Array, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

export class EnvelopeSecretBox implements SecretBox {
  constructor(private readonly secrets: Secrets) {}

  async seal(plaintext: string): Promise<string> {
    const master = await this.secrets.masterKey();
    const dataKey = randomBytes(32);
    const wrapped = gcmSeal(master.key, dataKey, `${VERSION}.${master.id}.key`);
    const body = gcmSeal(dataKey, Buffer.from(plaintext, "utf8"), `${VERSION}.${master.id}.data`);
    dataKey.fill(0);
    return [VERSION, master.id, wrapped.toString("base64url"), body.toString("base64url")].join(".");
  }

  async open(sealed: string): Promise<string> {
    const [version, masterId, wrapped, body] = sealed.split(".");
    if (version !== VERSION || !masterId || !wrapped || !body) throw new Error("not a sealed secret");
    const master = await this.secrets.masterKey();
    if (master.id !== masterId) throw new Error(`sealed with master key ${masterId}, but the current one is ${master.id}`);
    const dataKey = gcmOpen(master.key, Buffer.from(wrapped, "base64url"), `${VERSION}.${masterId}.key`);
    try {
      return gcmOpen(dataKey, Buffer.from(body, "base64url"), `${VERSION}.${masterId}.data`).toString("utf8");
    } finally {
      dataKey.fill(0);
    }
  }
}
