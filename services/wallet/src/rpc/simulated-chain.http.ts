import type { IncomingMessage, ServerResponse } from "node:http";
import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import { DecimalFormatError, parseUnits } from "#kit/money/decimal.js";
import type { SimulatedChain } from "../adapters/chain-gateway.simulated.js";
import type { AssetRegistry } from "../domain/assets.js";

export const SIMULATED_CHAIN_PATH = "/simulated-chain/transfers";

/**
 * Embedded mode only: lets anyone "send coins on the simulated chain" to a deposit address, as
 * a testnet faucet would. The wallet credits them like any deposit, after the network's
 * confirmations (one block per tick). There is no such route with a real chain gateway.
 */
export function simulatedChainHttpRoute(chain: SimulatedChain, assets: AssetRegistry) {
  return async (request: NodeRequest, response: NodeResponse): Promise<boolean> => {
    if ((request.url ?? "").split("?")[0] !== SIMULATED_CHAIN_PATH || request.method !== "POST") return false;
    const out = response as ServerResponse;
    const reply = (status: number, body: unknown) => {
      out.writeHead(status, { "content-type": "application/json" });
      out.end(JSON.stringify(body));
    };
    let text = "";
    for await (const chunk of request as IncomingMessage) text += chunk;
    let body: { network?: string; address?: string; memo?: string; asset?: string; amount?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      reply(400, { code: -1102, msg: "body must be JSON {network, address, memo?, asset, amount}" });
      return true;
    }
    const asset = assets.get(body.asset ?? "");
    if (!asset || !body.network || !body.address || typeof body.amount !== "string") {
      reply(400, { code: -1102, msg: "network, address, asset (a listed asset) and amount (decimal string) are required" });
      return true;
    }
    try {
      const txId = chain.receive(body.network, body.address, body.memo ?? "", asset.asset, parseUnits(body.amount, asset.scale));
      reply(200, { txId });
    } catch (error) {
      if (!(error instanceof DecimalFormatError)) throw error;
      reply(400, { code: -1111, msg: error.message });
    }
    return true;
  };
}
