import { create } from "@bufbuild/protobuf";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type Command } from "#gen/exchange/matching/v1/matching_pb.js";
import { prng } from "../../../support/prng.js";

/**
 * A seeded stream of matching.v1 commands for one symbol: crossing limit orders of a handful of accounts around a
 * drifting mid price, and cancels of earlier ones. Each command journals as exactly one record (distinct order ids).
 */
export function seededMessages(seed: number, count: number, symbol: string, firstOrderId = 1): Command[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: Command[] = [];
  let mid = 1_000;
  for (let i = 0; i < count; i++) {
    const orderId = firstOrderId + i;
    const accountId = `acct-${int(1, 9)}`;
    if (i > 10 && r() < 0.2) {
      const target = firstOrderId + int(0, i - 1);
      out.push(create(CommandSchema, { symbol, timestamp: BigInt(1_700_000_000_000 + i), kind: { case: "cancel", value: { orderId: BigInt(target), accountId } } }));
      continue;
    }
    mid += int(-2, 2);
    const sell = r() < 0.5;
    const price = mid + (sell ? int(-3, 6) : int(-6, 3));
    const qty = int(1, 5);
    out.push(
      create(CommandSchema, {
        symbol,
        timestamp: BigInt(1_700_000_000_000 + i),
        kind: {
          case: "place",
          value: { orderId: BigInt(orderId), accountId, side: sell ? Side.SELL : Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, priceTicks: String(price), quantityLots: String(qty), budget: sell ? String(qty) : String(price * qty) },
        },
      }),
    );
  }
  return out;
}
