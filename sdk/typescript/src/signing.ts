// Binance-style request signing for the edge's REST API (/api/v3): the query string (parameters, then `timestamp`
// and `recvWindow`) signed with an API key's HMAC-SHA256 secret (hex) or Ed25519 private key (base64), sent as
// `signature` with the key in `X-MBX-APIKEY`. WebCrypto only, so the same code runs in browsers and Node 20.

export interface RequestSigner {
  readonly apiKey: string;
  /** The `signature` parameter's value for `payload`, ready for a query string. */
  sign(payload: string): Promise<string>;
}

const utf8 = new TextEncoder();

/** A WebCrypto key (the DOM's and Node's typings name it differently). */
export type SigningKey = Parameters<typeof crypto.subtle.sign>[1];

export function hmacSha256Signer(apiKey: string, secret: string): RequestSigner {
  const key = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return {
    apiKey,
    async sign(payload) {
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, utf8.encode(payload)));
      return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
    },
  };
}

export function ed25519Signer(apiKey: string, privateKey: SigningKey): RequestSigner {
  return {
    apiKey,
    async sign(payload) {
      const signature = new Uint8Array(await crypto.subtle.sign("Ed25519", privateKey, utf8.encode(payload)));
      return encodeURIComponent(btoa(String.fromCharCode(...signature)));
    },
  };
}

/** A new Ed25519 key pair; register `publicKeyPem` with AuthService.CreateApiKey (API_KEY_TYPE_ED25519). */
export async function generateEd25519Key(): Promise<{ privateKey: SigningKey; publicKeyPem: string }> {
  const pair = (await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"])) as unknown as { privateKey: SigningKey; publicKey: SigningKey };
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const base64 = btoa(String.fromCharCode(...spki));
  return { privateKey: pair.privateKey, publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${base64}\n-----END PUBLIC KEY-----\n` };
}

export interface SignOptions {
  /** Milliseconds since the epoch; now by default. */
  readonly timestamp?: number;
  readonly recvWindow?: number;
}

/** `params&recvWindow=…&timestamp=…&signature=…`, signed by `signer`. */
export async function signQuery(signer: RequestSigner, params: Record<string, string> = {}, options: SignOptions = {}): Promise<string> {
  const query = new URLSearchParams({ ...params, recvWindow: String(options.recvWindow ?? 5000), timestamp: String(options.timestamp ?? Date.now()) }).toString();
  return `${query}&signature=${await signer.sign(query)}`;
}

/**
 * A signed REST call: `restUrl` is the edge's HTTP/1.1 address (e.g. `http://127.0.0.1:8081`), `path` e.g.
 * `/api/v3/account`. Parameters go in the query string for every method. Answers Binance's JSON or throws with it.
 */
export async function signedRequest<T = unknown>(restUrl: string, method: "GET" | "POST" | "PUT" | "DELETE", path: string, signer: RequestSigner, params: Record<string, string> = {}, options: SignOptions & { fetch?: typeof globalThis.fetch } = {}): Promise<T> {
  const query = await signQuery(signer, params, options);
  const response = await (options.fetch ?? fetch)(`${restUrl}${path}?${query}`, { method, headers: { "X-MBX-APIKEY": signer.apiKey } });
  const body = (await response.json()) as T;
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body;
}
