// The bench's traders: N users signed up through auth, each with an HMAC API key (for REST) and
// credited through the wallet's CreditAccount (an operator credit, recorded as a deposit, which the
// wallet admits with the operator tooling's service key), so the ledger knows exactly how much came in.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { parseUnits } from "#kit/money/decimal.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import type { BenchAccount } from "./protocol.js";

export interface Credit {
  readonly asset: string;
  /** Per account, a decimal string. */
  readonly amount: string;
}

/** What came in, per asset, in the asset's smallest unit. */
export interface Credited {
  readonly scale: ReadonlyMap<string, number>;
  readonly units: ReadonlyMap<string, bigint>;
  /** Per account and asset. */
  readonly perAccount: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
}

const PASSWORD = "bench correct horse battery staple";

export async function fundAccounts(urls: { auth: string; wallet: string }, opsKey: string, count: number, credits: readonly Credit[], runTag: string, onProgress: (done: number) => void): Promise<{ accounts: BenchAccount[]; credited: Credited }> {
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: urls.auth }));
  const wallet = createClient(WalletService, createGrpcTransport({ baseUrl: urls.wallet, interceptors: [withServiceKey(opsKey)] }));
  const scale = new Map((await wallet.listAssets({})).assets.map((asset) => [asset.asset, asset.scale]));
  for (const credit of credits) if (!scale.has(credit.asset)) throw new Error(`the wallet does not know asset ${credit.asset}`);
  const accounts: BenchAccount[] = new Array(count);
  const perAccount = new Map<string, Map<string, bigint>>();
  const units = new Map<string, bigint>();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const email = `bench-${runTag}-${index}@bench.example`;
      const { userId } = await auth.signUp({ email, password: PASSWORD });
      const { tokens } = await auth.signIn({ email, password: PASSWORD });
      const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bench" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
      const mine = new Map<string, bigint>();
      for (const credit of credits) {
        await wallet.creditAccount({ creditId: `bench-${credit.asset}-${userId}`, accountId: userId, asset: credit.asset, amount: credit.amount, reason: "bench:e2e funding" });
        const amount = parseUnits(credit.amount, scale.get(credit.asset)!);
        mine.set(credit.asset, amount);
        units.set(credit.asset, (units.get(credit.asset) ?? 0n) + amount);
      }
      perAccount.set(userId, mine);
      accounts[index] = { accountId: userId, apiKey: key!.apiKey, secret };
      onProgress(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, count) }, worker));
  return { accounts, credited: { scale, units, perAccount } };
}
