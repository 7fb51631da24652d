import { describe, expect, it } from "vitest";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ConnectWalletGateway } from "../../../services/order/src/adapters/wallet-gateway.connect.js";

// The batch calls against a wallet that predates them (a rolling upgrade): the same effect through the old calls.

describe("ConnectWalletGateway against a wallet without the batch calls", () => {
  it("holds one by one when CreateHolds is unimplemented, each answer its own", async () => {
    const held: string[] = [];
    const transport = createRouterTransport(({ service }) =>
      service(WalletService, {
        createHold(request) {
          if (request.amount === "9") throw new ConnectError("insufficient", Code.FailedPrecondition);
          held.push(request.holdId);
          return {};
        },
      }),
    );
    const answers = await new ConnectWalletGateway(transport).holdAll([
      { holdId: "h1", accountId: "a", asset: "USDT", amount: "1" },
      { holdId: "h2", accountId: "a", asset: "USDT", amount: "9" },
    ]);
    expect(held).toEqual(["h1"]);
    expect(answers[0]).toBeUndefined();
    expect(ConnectError.from(answers[1]).code).toBe(Code.FailedPrecondition);
  });

  it("releases one by one when SettleTrades answers no voids, and when it refuses a call without trades", async () => {
    const voided: string[] = [];
    const transport = createRouterTransport(({ service }) =>
      service(WalletService, {
        // An old wallet: void_hold_ids unknown, so ignored, and at least one trade required.
        settleTrades(request) {
          if (request.trades.length === 0) throw new ConnectError("trades: at least 1 item", Code.InvalidArgument);
          return { results: request.trades.map(() => ({ result: { case: "settled" as const, value: { buyerFee: "0.1", sellerFee: "0.2", duplicate: false } } })) };
        },
        voidHold(request) {
          voided.push(request.holdId);
          if (request.holdId === "never-held") throw new ConnectError("no hold", Code.NotFound);
          return {};
        },
      }),
    );
    const gateway = new ConnectWalletGateway(transport);
    const trade = { tradeId: "T1", symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyerAccountId: "b", sellerAccountId: "s", buyerHoldId: "hb", sellerHoldId: "hs", baseAmount: "1", quoteAmount: "2", buyerIsMaker: false };
    expect(await gateway.settleAndRelease([trade], ["hb", "hs"])).toEqual([{ buyerFee: "0.1", sellerFee: "0.2" }]);
    expect(await gateway.settleAndRelease([], ["h3", "never-held"])).toEqual([]);
    expect(voided.sort()).toEqual(["h3", "hb", "hs", "never-held"]);
  });
});
