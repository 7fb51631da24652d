// Child process for the full-stack kill -9 test: the whole embedded exchange on a data dir,
// with fixed deposits (idempotent by id, so every restart re-runs them harmlessly).
import { startExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

const [dataDir, accountList] = process.argv.slice(2);
const exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "silent", WALLET_SIMULATED_CHAIN_FAUCET: "false", MATCHING_EVENTS: process.env.MATCHING_EVENTS });
const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
for (const account of accountList.split(",")) {
  await parts.wallet.creditDeposit(`btc-${account}`, account, "BTC", 3n * 10n ** 8n);
  await parts.wallet.creditDeposit(`usdt-${account}`, account, "USDT", 50_000n * 10n ** 8n);
}
process.stdout.write(`ready ${exchange.listening.http2Url}\n`);
