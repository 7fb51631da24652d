import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { EnvelopeSecretBox } from "../../../services/auth/src/adapters/secret-box.envelope.js";
import { FileSecrets } from "../../../services/auth/src/adapters/secrets.file.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { AuthMfaVerifier } from "../../../services/wallet/src/adapters/mfa-verifier.auth.js";
import { testAuth, totpCode } from "./support/auth-harness.js";

const dirs: string[] = [];
let module: AuthModule | undefined;
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await module?.stop?.();
  module = undefined;
});

describe("embedded master key", () => {
  it("generates a 0600 key file in the data dir once, and reuses it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "auth-key-"));
    dirs.push(dir);
    const keyFile = join(dir, "nested", "auth-master.key");
    const first = await new FileSecrets({ keyFile }).masterKey();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const again = await new FileSecrets({ keyFile }).masterKey();
    expect(again.id).toBe(first.id);
    expect(readFileSync(keyFile, "utf8")).not.toContain(first.id);
    const sealed = await new EnvelopeSecretBox(new FileSecrets({ keyFile })).seal("s3cret");
    expect(await new EnvelopeSecretBox(new FileSecrets({ keyFile })).open(sealed)).toBe("s3cret");
  });

  it("prefers AUTH_MASTER_KEY and refuses a key that is not 32 bytes", async () => {
    const env = await new FileSecrets({ envValue: Buffer.alloc(32, 3).toString("base64"), keyFile: "/nonexistent" }).masterKey();
    expect(Buffer.from(env.key).equals(Buffer.alloc(32, 3))).toBe(true);
    await expect(new FileSecrets({ envValue: "c2hvcnQ=", keyFile: "/nonexistent" }).masterKey()).rejects.toThrow(/32 bytes/);
  });
});

describe("wallet's MfaVerifier over auth's API (VerifyMfa, GetAccountSecurity), over a transport", () => {
  it("answers not-enabled, valid, invalid and the withdrawal lock", async () => {
    const built = await testAuth();
    module = built.module;
    const client = new AuthMfaVerifier(inProcessTransport(module.routes));
    const userId = await module.auth.accounts.signUp("w@example.com", "correct horse battery");
    expect(await client.verify(userId, "123456")).toBe("not_enabled");
    expect((await client.security(userId)).withdrawalLockedUntil).toBe(0);
    const { secret } = await module.auth.mfa.enroll(userId);
    await module.auth.mfa.confirm(userId, await totpCode(secret, built.clock.now()));
    built.clock.advance(30_000);
    expect(await client.verify(userId, "000000")).toBe("invalid");
    expect(await client.verify(userId, await totpCode(secret, built.clock.now()))).toBe("valid");
    expect(await client.security(userId)).toEqual({ mfaEnabled: true, withdrawalLockedUntil: built.clock.now() - 30_000 + 24 * 3600_000, frozenAt: 0 });
  });
});
