import { createHmac, generateKeyPairSync, sign as edSign, type KeyObject } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import { ApiKeyType, type AuthService, type Permission } from "#gen/exchange/auth/v1/auth_pb.js";

// Users and their API keys through auth, as the edge's end-to-end tests sign with them.

export interface Key {
  readonly apiKey: string;
  sign(payload: string): string;
}

/** Signs up and signs in: the user id and the bearer headers that create its keys. */
export async function signUp(auth: Client<typeof AuthService>, email: string) {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  return { userId, headers: { authorization: `Bearer ${tokens!.accessToken}` } };
}

/** An HMAC-SHA256 key: hex signatures. */
export async function hmacKey(auth: Client<typeof AuthService>, userId: string, headers: Record<string, string>, permissions: Permission[]): Promise<Key> {
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions, label: "bot" }, { headers });
  return { apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

/** An Ed25519 key: base64 signatures, percent-encoded for a query string or form body when `urlEncoded`. */
export async function ed25519Key(auth: Client<typeof AuthService>, userId: string, headers: Record<string, string>, permissions: Permission[], urlEncoded: boolean): Promise<Key> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const { key } = await auth.createApiKey({ userId, type: ApiKeyType.ED25519, permissions, publicKey: pem, label: "ed" }, { headers });
  return {
    apiKey: key!.apiKey,
    sign: (payload) => {
      const signature = edSign(null, Buffer.from(payload), privateKey as KeyObject).toString("base64");
      return urlEncoded ? encodeURIComponent(signature) : signature;
    },
  };
}
