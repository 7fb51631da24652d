import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { DeleteSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { EnvelopeSecretBox } from "../../../services/auth/src/adapters/secret-box.envelope.js";
import { AwsSecrets } from "../../../services/auth/src/adapters/secrets.aws.js";
import { FileSecrets } from "../../../services/auth/src/adapters/secrets.file.js";
import { AWS_ENDPOINT, AWS_REGION } from "./support.js";

// The Secrets port against Secrets Manager (moto on loopback): the master key is created once,
// shared by every replica, and envelope-sealed values open only under it.

const client = new SecretsManagerClient({ endpoint: AWS_ENDPOINT, region: AWS_REGION });

describe("AwsSecrets (Secrets Manager)", () => {
  it("creates the master key on first use and every instance then reads the same one", async () => {
    const secretId = `exchange/auth/test-${randomUUID()}`;
    try {
      const [a, b] = await Promise.all([new AwsSecrets(client, secretId).masterKey(), new AwsSecrets(client, secretId).masterKey()]);
      expect(a.key).toHaveLength(32);
      expect(Buffer.from(b.key).equals(Buffer.from(a.key))).toBe(true);
      const stored = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      expect(Buffer.from(stored.SecretString!, "base64").equals(Buffer.from(a.key))).toBe(true);

      const sealed = await new EnvelopeSecretBox(new AwsSecrets(client, secretId)).seal("hmac secret");
      expect(sealed).not.toContain("hmac secret");
      expect(await new EnvelopeSecretBox(new AwsSecrets(client, secretId)).open(sealed)).toBe("hmac secret");
      // the same ciphertext does not open under another master key
      const other = new EnvelopeSecretBox(new FileSecrets({ envValue: Buffer.alloc(32, 1).toString("base64"), keyFile: "/nonexistent" }));
      await expect(other.open(sealed)).rejects.toThrow(/master key/);
    } finally {
      await client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    }
  });

  it("seals each value with its own data key (same plaintext, different ciphertexts) and detects tampering", async () => {
    const box = new EnvelopeSecretBox(new FileSecrets({ envValue: Buffer.alloc(32, 2).toString("base64"), keyFile: "/nonexistent" }));
    const [x, y] = [await box.seal("same"), await box.seal("same")];
    expect(x.split(".")[2]).not.toBe(y.split(".")[2]);
    const parts = x.split(".");
    const body = Buffer.from(parts[3], "base64url");
    body[body.length - 1] ^= 1;
    await expect(box.open([...parts.slice(0, 3), body.toString("base64url")].join("."))).rejects.toThrow();
  });
});
