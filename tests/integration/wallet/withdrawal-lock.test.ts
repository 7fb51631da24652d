import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// Wallet enforces auth's withdrawal lock itself: a caller of wallet's internal RequestWithdrawal
// or SetWithdrawalAllowList (no edge in between) is refused like the edge refuses, for a user who
// just changed a password. The whole exchange in one process, as `npm start` composes it.

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "another horse battery staple";
const BTC = 10n ** 8n;
const address = "bc1qexampleexampleexampleexampleexample0";

let dataDir: string;
let exchange: RunningExchange;
let parts: WalletParts;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "wallet-lock-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };

const failure = async (call: Promise<unknown>) => ConnectError.from(await call.then(() => new Error("expected an error"), (e: unknown) => e));

/** Signs up, funds 1 BTC, changes the password: auth now locks the account's withdrawals for 24 h. */
async function userWhoJustChangedPassword(email: string): Promise<string> {
  const auth = createClient(AuthService, inProcessTransport(exchange.routes));
  const { userId } = await auth.signUp({ email, password: PASSWORD });
  const { tokens } = await auth.signIn({ email, password: PASSWORD });
  await createClient(AuthService, inProcessTransport(exchange.routes, [bearer(tokens!.accessToken)])).changePassword({ userId, currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
  await parts.wallet.creditDeposit(`fund-${userId}`, userId, "BTC", BTC);
  return userId;
}

for (const transport of ["in-process", "gRPC over HTTP/2"] as const) {
  describe(`wallet.v1 ${transport}: the withdrawal lock`, () => {
    const tag = transport === "in-process" ? "ip" : "h2";
    const wallet = () => createClient(WalletService, transport === "in-process" ? inProcessTransport(exchange.routes) : createGrpcTransport({ baseUrl: exchange.listening.http2Url }));

    it("refuses a user who just changed their password, changing nothing, until the lock has run out", async () => {
      const userId = await userWhoJustChangedPassword(`${tag}-ivan@example.com`);
      const withdraw = { withdrawalId: `${tag}-ivan-w1`, accountId: userId, asset: "BTC", network: "BTC", amount: "0.1", address, memo: "", totpCode: "" };
      for (const call of [() => wallet().requestWithdrawal(withdraw), () => wallet().setWithdrawalAllowList({ accountId: userId, enabled: true, entries: [{ address, memo: "" }] })]) {
        const locked = await failure(call());
        expect(locked.code).toBe(Code.FailedPrecondition);
        expect(locked.rawMessage).toMatch(/^Withdrawals are locked until \d{4}-\d\d-\d\dT.+Z after a security change/);
        const lockedUntil = Number(locked.findDetails(ErrorInfoSchema)[0]?.metadata.lockedUntil);
        expect(locked.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-4000", metadata: { key: "WITHDRAWALS_LOCKED" } });
        expect(lockedUntil).toBeGreaterThan(Date.now() + 23 * 60 * 60 * 1000);
      }
      expect((await wallet().getBalances({ accountId: userId, assets: ["BTC"] })).balances[0]).toMatchObject({ free: "1.00000000", pendingWithdrawal: "0.00000000" });
      expect((await wallet().listWithdrawals({ accountId: userId })).withdrawals).toEqual([]);
      expect(await wallet().getWithdrawalAllowList({ accountId: userId })).toMatchObject({ enabled: false, entries: [] });

      // As if the password had changed 25 h ago: the lock has run out and the same request goes through.
      const authStore = (exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule).store;
      await authStore.markSecurityChange(userId, Date.now() - 25 * 60 * 60 * 1000);
      const { withdrawal } = await wallet().requestWithdrawal(withdraw);
      expect(withdrawal).toMatchObject({ withdrawalId: `${tag}-ivan-w1`, accountId: userId, amount: "0.10000000" });
    });
  });
}
