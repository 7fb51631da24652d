// A user of the exchange as the outside world sees it: only the edge's doors (signed REST, the WebSocket user data
// stream, the public Connect API with a bearer token), each call sent to one of the edge replicas. Every call
// carries X-Forwarded-For with the client's own address, as the load balancer in front of the edge would (the
// chart trusts it), so rate limits count this client and not every test that ever ran from 127.0.0.1.
import { createHmac } from "node:crypto";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";

export type Json = Record<string, unknown>;
export const PASSWORD = "correct horse battery staple";

export interface RestAnswer {
  readonly status: number;
  readonly body: Json & Json[];
  /** The edge replica that answered (its base URL). */
  readonly edge: string;
}

function headers(ip: string, extra: Record<string, string> = {}): Record<string, string> {
  return { "x-forwarded-for": ip, ...extra };
}

/** The public Connect API (Connect JSON over HTTP/1.1) at one edge, with a bearer token when signed in. */
export function connectTransport(edgeUrl: string, ip: string, token?: () => string): Transport {
  const interceptor: Interceptor = (next) => (request) => {
    request.header.set("x-forwarded-for", ip);
    if (token) request.header.set("authorization", `Bearer ${token()}`);
    return next(request);
  };
  return createConnectTransport({ baseUrl: `${edgeUrl}/connect`, interceptors: [interceptor] });
}

export class EdgeUser {
  private nonce = 0;
  private turn = 0;
  apiKey = "";
  private secret = "";

  private constructor(
    readonly email: string,
    readonly userId: string,
    private token: string,
    readonly edges: readonly string[],
    readonly ip: string,
  ) {}

  /** Signs up and in through the public Connect API of the first edge. */
  static async signUp(edges: readonly string[], email: string, ip: string): Promise<EdgeUser> {
    const auth = createClient(AuthService, connectTransport(edges[0]!, ip));
    const { userId } = await auth.signUp({ email, password: PASSWORD });
    const { tokens } = await auth.signIn({ email, password: PASSWORD });
    return new EdgeUser(email, userId, tokens!.accessToken, edges, ip);
  }

  /** The next edge replica, round robin: consecutive calls go to different replicas. */
  nextEdge(): string {
    return this.edges[this.turn++ % this.edges.length]!;
  }

  transport(edge = this.nextEdge()): Transport {
    return connectTransport(edge, this.ip, () => this.token);
  }
  auth(edge?: string): Client<typeof AuthService> {
    return createClient(AuthService, this.transport(edge));
  }
  order(edge?: string): Client<typeof OrderService> {
    return createClient(OrderService, this.transport(edge));
  }
  wallet(edge?: string): Client<typeof WalletService> {
    return createClient(WalletService, this.transport(edge));
  }

  /** An HMAC-SHA256 API key for REST, made through the public Connect API (READ and TRADE). */
  async createApiKey(edge?: string): Promise<void> {
    const { key, secret } = await this.auth(edge).createApiKey({ userId: this.userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "distributed" });
    this.apiKey = key!.apiKey;
    this.secret = secret;
  }

  /** A signed REST call (Binance's HMAC over the query string) to one edge. */
  async signed(method: string, path: string, params: Record<string, string> = {}, edge = this.nextEdge()): Promise<RestAnswer> {
    // recvWindow varies so two identical calls in one millisecond still sign differently (replay protection).
    const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (this.nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
    const signature = createHmac("sha256", this.secret).update(query).digest("hex");
    const response = await fetch(`${edge}${path}?${query}&signature=${signature}`, { method, headers: headers(this.ip, { "X-MBX-APIKEY": this.apiKey }) });
    return { status: response.status, body: (await response.json()) as RestAnswer["body"], edge };
  }

  /** USER_STREAM calls: the API key header alone. */
  async userDataStream(method: "POST" | "PUT" | "DELETE", listenKey?: string, edge = this.nextEdge()): Promise<RestAnswer> {
    const query = listenKey === undefined ? "" : `?listenKey=${listenKey}`;
    const response = await fetch(`${edge}/api/v3/userDataStream${query}`, { method, headers: headers(this.ip, { "X-MBX-APIKEY": this.apiKey }) });
    return { status: response.status, body: (await response.json()) as RestAnswer["body"], edge };
  }
}

/** A public REST call. */
export async function publicGet(edge: string, path: string, ip: string): Promise<RestAnswer> {
  const response = await fetch(`${edge}${path}`, { headers: headers(ip) });
  return { status: response.status, body: (await response.json()) as RestAnswer["body"], edge };
}

/** Decimal string -> integer units at `scale` digits (exact: no floats). */
export function units(decimal: string, scale = 8): bigint {
  const negative = decimal.startsWith("-");
  const [whole, fraction = ""] = decimal.replace(/^-/, "").split(".");
  if (fraction.replace(/0+$/, "").length > scale) throw new Error(`${decimal} has more than ${scale} decimals`);
  const value = BigInt(whole!) * 10n ** BigInt(scale) + BigInt((fraction + "0".repeat(scale)).slice(0, scale) || "0");
  return negative ? -value : value;
}
