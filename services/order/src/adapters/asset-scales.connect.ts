import { createClient, type Transport } from "@connectrpc/connect";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import type { AssetScales } from "../ports/asset-scales.port.js";

/** wallet.v1 ListAssets, asked each time (listing a symbol is rare). */
export class ConnectAssetScales implements AssetScales {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(WalletService, transport);
  }

  async scaleOf(asset: string): Promise<number | undefined> {
    const { assets } = await this.client.listAssets({});
    return assets.find((a) => a.asset === asset)?.scale;
  }
}
