import { expect } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import type { Role } from "../../../services/auth/src/domain/principal.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// The whole exchange in one process, as an operator reaches it: the services' back-office APIs on the internal
// port (the root paths), users through the edge's public Connect API (/connect), each with a bearer token.

const PASSWORD = "correct horse battery staple";

export interface Person {
  readonly userId: string;
  /** This person's access token. */
  readonly token: string;
  /** The services' internal port, with this person's bearer token. */
  readonly internal: Transport;
  /** The edge's public Connect API, with this person's bearer token. */
  readonly edge: Transport;
}

export interface Embedded {
  readonly exchange: RunningExchange;
  readonly dataDir: string;
  readonly wallet: WalletParts;
  signUp(email: string, roles?: Role[]): Promise<Person>;
  /** No token at all, on the internal port. */
  readonly anonymous: Transport;
}

export function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

export async function startEmbedded(prefix: string, env: Record<string, string> = {}): Promise<Embedded> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", ...env },
  );
  const root = exchange.listening.http1Url;
  const wallet = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  const auth = exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule;
  const publicAuth = createClient(AuthService, createConnectTransport({ baseUrl: `${root}/connect` }));
  return {
    exchange,
    dataDir,
    wallet,
    anonymous: createConnectTransport({ baseUrl: root }),
    async signUp(email, roles) {
      const { userId } = await publicAuth.signUp({ email, password: PASSWORD });
      if (roles) await auth.auth.accounts.setRoles(userId, roles);
      const { tokens } = await publicAuth.signIn({ email, password: PASSWORD });
      const interceptors = [bearer(tokens!.accessToken)];
      return { userId, token: tokens!.accessToken, internal: createConnectTransport({ baseUrl: root, interceptors }), edge: createConnectTransport({ baseUrl: `${root}/connect`, interceptors }) };
    },
  };
}

export async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}
