import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";

/** wallet.v1 over any Connect transport; its errors (e.g. insufficient balance) pass through unchanged. */
export class ConnectWalletGateway implements WalletGateway {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(WalletService, transport);
  }

  async hold(holdId: string, accountId: string, asset: string, amount: string): Promise<void> {
    await this.client.createHold({ holdId, accountId, asset, amount });
  }

  async release(holdId: string): Promise<void> {
    try {
      await this.client.voidHold({ holdId });
    } catch (error) {
      // No hold: it was never created (the order was refused before), so nothing to release.
      if (ConnectError.from(error).code !== Code.NotFound) throw error;
    }
  }

  async settle(trade: Parameters<WalletGateway["settle"]>[0]): Promise<{ buyerFee: string; sellerFee: string }> {
    const response = await this.client.settleTrade(trade);
    return { buyerFee: response.buyerFee, sellerFee: response.sellerFee };
  }
}
