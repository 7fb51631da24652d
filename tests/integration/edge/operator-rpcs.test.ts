import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";

// The wallet's operator calls (ApproveWithdrawal, RejectWithdrawal, ListWithdrawalApprovals,
// CreditAccount) are internal: the wallet serves them to operators inside the cluster (a token with
// the role, or the tooling's service key), and the edge, the public door, serves none of them. Laid
// out as in Kubernetes: the wallet in one process, the edge in another calling it at WALLET_ADDR.

const OPS_KEY = "ops-key-for-operator-rpcs-test-0123456789";

let dataDir: string;
let wallet: RunningExchange;
let edge: RunningExchange;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-operator-"));
  const quiet = { LOG_LEVEL: "warn" };
  wallet = await startExchange({ service: "wallet", dataDir: join(dataDir, "wallet"), host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { ...quiet, WALLET_SIMULATED_CHAIN_FAUCET: "false", EXCHANGE_CALLER_KEY_OPS: OPS_KEY });
  edge = await startExchange({ service: "edge", dataDir: join(dataDir, "edge"), host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, {
    ...quiet,
    WALLET_ADDR: wallet.listening.http2Url,
    // The edge needs every peer named at start; only wallet is called here.
    ...Object.fromEntries(["ORDER_ADDR", "AUTH_ADDR", "MATCHING_ADDR", "MARKETDATA_ADDR"].map((name) => [name, wallet.listening.http2Url])),
  });
});

afterAll(async () => {
  await edge?.stop();
  await wallet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const credit = { creditId: "door-1", accountId: "mallory", asset: "BTC", amount: "1000", reason: "free money" };

describe("the edge does not expose the wallet's operator calls", () => {
  it("answers them 404 / Unimplemented on both of its ports, and nothing reaches the wallet", async () => {
    const calls = [
      ["CreditAccount", credit],
      ["ListWithdrawalApprovals", {}],
      ["ApproveWithdrawal", { withdrawalId: "w" }],
      ["RejectWithdrawal", { withdrawalId: "w", reason: "x" }],
    ] as const;
    for (const [method, body] of calls) {
      const response = await fetch(`${edge.listening.http1Url}/exchange.wallet.v1.WalletService/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect([method, response.status]).toEqual([method, 404]);
    }
    // Nor does its public Connect API (/connect), on either port.
    const publicApi = [createGrpcTransport({ baseUrl: `${edge.listening.http2Url}/connect` }), createConnectTransport({ baseUrl: `${edge.listening.http1Url}/connect`, httpVersion: "1.1" })];
    for (const transport of [createGrpcTransport({ baseUrl: edge.listening.http2Url }), createConnectTransport({ baseUrl: edge.listening.http1Url, httpVersion: "1.1" }), ...publicApi]) {
      const client = createClient(WalletService, transport);
      for (const call of [() => client.creditAccount(credit), () => client.listWithdrawalApprovals({}), () => client.approveWithdrawal({ withdrawalId: "w" })]) {
        const error = ConnectError.from(await call().then(() => new Error("expected an error"), (e: unknown) => e));
        expect(error.code).toBe(Code.Unimplemented);
      }
    }
    // The REST door has no route for them either.
    for (const path of ["/api/v3/creditAccount", "/api/v3/withdrawalApprovals", "/sapi/v1/capital/withdraw/approve"]) {
      expect((await fetch(`${edge.listening.http1Url}${path}`, { method: "POST" })).status).toBe(404);
    }
    const direct = createClient(WalletService, createGrpcTransport({ baseUrl: wallet.listening.http2Url }));
    expect((await direct.getBalances({ accountId: "mallory" })).balances).toEqual([]);
    // Inside, the wallet serves it to operators: not to a caller without a credential.
    const anonymous = ConnectError.from(await direct.creditAccount({ ...credit, creditId: "operator-1" }).then(() => new Error("expected an error"), (e: unknown) => e));
    expect(anonymous.code).toBe(Code.Unauthenticated);
    expect((await direct.getBalances({ accountId: "mallory" })).balances).toEqual([]);
    const tooling = createClient(WalletService, createGrpcTransport({ baseUrl: wallet.listening.http2Url, interceptors: [withServiceKey(OPS_KEY)] }));
    expect((await tooling.creditAccount({ ...credit, creditId: "operator-1", reason: "ticket 7" })).duplicate).toBe(false);
  });
});
