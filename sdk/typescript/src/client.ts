import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService, type Tokens } from "./gen/exchange/auth/v1/auth_pb.js";
import { MarketDataService } from "./gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "./gen/exchange/order/v1/order_pb.js";
import { WalletService } from "./gen/exchange/wallet/v1/wallet_pb.js";

export interface ExchangeClientOptions {
  /** The edge's public Connect API, e.g. `http://127.0.0.1:8081/connect`. */
  readonly baseUrl: string;
  /** `connect` (default; JSON unless `binary`) or `grpc-web`. Both run over fetch, in browsers and Node 20. */
  readonly protocol?: "connect" | "grpc-web";
  readonly binary?: boolean;
  /** An access token from an earlier SignIn; `signIn` sets it too. */
  readonly accessToken?: string;
  readonly fetch?: typeof globalThis.fetch;
}

/** Sets `Authorization: Bearer <token>` on every call while a token is known. */
export function bearerToken(token: () => string | undefined): Interceptor {
  return (next) => (request) => {
    const value = token();
    if (value) request.header.set("authorization", `Bearer ${value}`);
    return next(request);
  };
}

/**
 * The public API's four services on one transport. The account is always the signed-in user's: leave
 * `accountId` / `userId` empty. Money travels as decimal strings; keep it that way (never parse to a float).
 */
export class ExchangeClient {
  readonly transport: Transport;
  readonly auth: Client<typeof AuthService>;
  readonly order: Client<typeof OrderService>;
  readonly wallet: Client<typeof WalletService>;
  readonly marketData: Client<typeof MarketDataService>;
  #tokens: Tokens | undefined;
  #accessToken: string | undefined;

  constructor(options: ExchangeClientOptions) {
    this.#accessToken = options.accessToken;
    const interceptors = [bearerToken(() => this.#accessToken)];
    this.transport =
      options.protocol === "grpc-web"
        ? createGrpcWebTransport({ baseUrl: options.baseUrl, interceptors, fetch: options.fetch })
        : createConnectTransport({ baseUrl: options.baseUrl, interceptors, useBinaryFormat: options.binary ?? false, fetch: options.fetch });
    this.auth = createClient(AuthService, this.transport);
    this.order = createClient(OrderService, this.transport);
    this.wallet = createClient(WalletService, this.transport);
    this.marketData = createClient(MarketDataService, this.transport);
  }

  get accessToken(): string | undefined {
    return this.#accessToken;
  }

  /** Signs in (with a TOTP or recovery code once two-factor is on) and uses the session's token from then on. */
  async signIn(email: string, password: string, totpCode = ""): Promise<Tokens> {
    const { tokens } = await this.auth.signIn({ email, password, totpCode });
    if (!tokens) throw new Error("SignIn answered without tokens");
    this.#tokens = tokens;
    this.#accessToken = tokens.accessToken;
    return tokens;
  }

  /** Trades the refresh token for new tokens (before `expiresIn` runs out). */
  async refresh(): Promise<Tokens> {
    if (!this.#tokens) throw new Error("not signed in");
    const { tokens } = await this.auth.refreshSession({ refreshToken: this.#tokens.refreshToken });
    if (!tokens) throw new Error("RefreshSession answered without tokens");
    this.#tokens = tokens;
    this.#accessToken = tokens.accessToken;
    return tokens;
  }

  signOut(): void {
    this.#tokens = undefined;
    this.#accessToken = undefined;
  }
}
