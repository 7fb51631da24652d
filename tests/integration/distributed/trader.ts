// A trading bot as a client of the edge: places crossing LIMIT orders on BTCUSDT over signed REST, one at a time,
// each with its own clientOrderId; an answer that says "try again" (HTTP 503, or no answer at all: the edge it
// reached died) is retried with the same clientOrderId on the next edge, which makes the retry idempotent.
// Anything else it did not expect is kept, for the test to fail on.
import type { EdgeUser, RestAnswer } from "./edge-client.js";

export interface Ack {
  readonly clientOrderId: string;
  readonly orderId: number;
  readonly status: string;
}

export interface Outcomes {
  readonly acks: Ack[];
  /** Retryable failures seen, by kind ("503 -1001", "network: ECONNREFUSED"...). */
  readonly retried: Map<string, number>;
  /** Answers that were neither a success nor retryable. */
  readonly unexpected: string[];
}

export function isRetryable(answer: RestAnswer): boolean {
  return answer.status === 503;
}

function networkKind(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return `network: ${cause?.code ?? String(error)}`;
}

/** Calls `call` until it answers something other than a retryable failure; counts the retries. */
export async function withRetries(call: () => Promise<RestAnswer>, outcomes: Outcomes, what: string, deadlineMs = 60_000): Promise<RestAnswer | undefined> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    let kind: string;
    try {
      const answer = await call();
      if (!isRetryable(answer)) return answer;
      kind = `${answer.status} ${String(answer.body.code)}`;
    } catch (error) {
      kind = networkKind(error);
    }
    outcomes.retried.set(kind, (outcomes.retried.get(kind) ?? 0) + 1);
    if (Date.now() > deadline) {
      outcomes.unexpected.push(`${what}: still failing (${kind}) after ${deadlineMs} ms`);
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface TraderOptions {
  readonly user: EdgeUser;
  readonly prefix: string;
  readonly random: () => number;
  readonly stop: AbortSignal;
  /** Called after each acknowledged order. */
  readonly onAck?: () => void;
}

/** Places orders until `stop` is aborted; resolves with what it saw. */
export async function trade(options: TraderOptions, outcomes: Outcomes): Promise<void> {
  const { user, random } = options;
  for (let i = 0; !options.stop.aborted; i++) {
    const clientOrderId = `${options.prefix}-${i}`;
    const side = random() < 0.5 ? "BUY" : "SELL";
    // Around 30000 with a spread of 10 ticks: about half the orders take, the rest rest.
    const price = (30_000 + Math.floor(random() * 11) - 5).toFixed(2);
    const quantity = (0.001 * (1 + Math.floor(random() * 3))).toFixed(3);
    const params = { symbol: "BTCUSDT", side, type: "LIMIT", timeInForce: "GTC", quantity, price, newClientOrderId: clientOrderId, newOrderRespType: "ACK" };
    const answer = await withRetries(() => user.signed("POST", "/api/v3/order", params), outcomes, `order ${clientOrderId}`);
    if (!answer) continue;
    if (answer.status === 200) {
      outcomes.acks.push({ clientOrderId, orderId: answer.body.orderId as number, status: String(answer.body.status ?? "") });
      options.onAck?.();
    } else {
      outcomes.unexpected.push(`order ${clientOrderId}: ${answer.status} ${JSON.stringify(answer.body)} from ${answer.edge}`);
    }
  }
}
