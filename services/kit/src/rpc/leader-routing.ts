import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { partitionForKey } from "../ports/event-log.port.js";
import { causesOf, refusedStream } from "./error-causes.js";

/**
 * A transport over the replicas of a service whose calls must reach the leader of their key (matching: a symbol is
 * led by one replica at a time, the others are warm standbys that answer NotLeader). Each call goes to the replica
 * that last answered for its key, at first to the key's home replica (`homeOf`: every client agrees on it, so the
 * first call for a symbol makes its home replica the leader and symbols spread over replicas); a replica that answers NotLeader (ErrorInfo metadata `notLeader`) or cannot be
 * connected to (nothing was sent) is skipped for the next, at once; when every replica refused, the round is tried
 * again after a short pause until `retryForMs` has passed (an election takes about a lease's ttl). Any other answer,
 * error or not, is the caller's. Server streams are routed by their one request; a stream is rerouted only until
 * its first message arrives (a NotLeader is answered before any).
 */
export function leaderRoutingTransport(replicas: readonly Transport[], options: LeaderRoutingOptions): Transport {
  if (replicas.length === 0) throw new Error("leaderRoutingTransport needs at least one replica");
  const leaders = new Map<string, number>();
  const pauseMs = options.pauseMs ?? 50;
  const homeOf = options.homeOf ?? partitionForKey;

  async function route<T>(key: string | undefined, signal: AbortSignal | undefined, call: (replica: Transport) => Promise<T>): Promise<T> {
    const first = key === undefined ? 0 : (leaders.get(key) ?? homeOf(key, replicas.length) % replicas.length);
    const deadline = Date.now() + options.retryForMs;
    for (;;) {
      let refusal: unknown;
      for (let i = 0; i < replicas.length; i++) {
        const index = (first + i) % replicas.length;
        try {
          const answer = await call(replicas[index]!);
          if (key !== undefined) leaders.set(key, index);
          return answer;
        } catch (error) {
          if (!isNotLeader(error) && !neverSent(error)) throw error;
          refusal = error;
        }
      }
      if (Date.now() + pauseMs > deadline || signal?.aborted) throw refusal;
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }

  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) =>
      route(options.keyOf(input), signal, (replica) => replica.unary(method, signal, timeoutMs, header, input, contextValues)),
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      if (method.methodKind !== "server_streaming") return replicas[0]!.stream(method, signal, timeoutMs, header, input, contextValues);
      const requests: (typeof input extends AsyncIterable<infer M> ? M : never)[] = [];
      for await (const request of input) requests.push(request);
      return route(options.keyOf(requests[0]), signal, async (replica) => {
        const response = await replica.stream(method, signal, timeoutMs, header, iterate(requests), contextValues);
        const messages = response.message[Symbol.asyncIterator]();
        const head = await messages.next();
        return { ...response, message: prepend(head, messages) };
      });
    },
  };
}

export interface LeaderRoutingOptions {
  /** The routing key of a request (matching: its symbol); undefined goes to the first replica. */
  readonly keyOf: (request: unknown) => string | undefined;
  /** How long to keep trying when every replica refuses. */
  readonly retryForMs: number;
  /** Pause between rounds (50 ms). */
  readonly pauseMs?: number;
  /** The replica (index) a key is tried at first; default: Kafka's partitioner over the replicas. */
  readonly homeOf?: (key: string, replicas: number) => number;
}

/** The routing key of a matching request: its `symbol`, or its command's. */
export function symbolOf(request: unknown): string | undefined {
  const r = request as { symbol?: unknown; command?: { symbol?: unknown } } | undefined;
  const symbol = typeof r?.symbol === "string" && r.symbol !== "" ? r.symbol : r?.command?.symbol;
  return typeof symbol === "string" && symbol !== "" ? symbol : undefined;
}

/** An answer of a replica that does not lead the call's key (matching's NotLeaderError). */
export function isNotLeader(error: unknown): boolean {
  const connectError = ConnectError.from(error);
  if (connectError.code !== Code.Unavailable) return false;
  return connectError.findDetails(ErrorInfoSchema).some((info) => info.metadata.notLeader !== undefined);
}

/** A call that never ran: the replica refused the connection (down, not listening yet) or the stream (shutting down). */
function neverSent(error: unknown): boolean {
  if (refusedStream(error)) return true;
  for (const { code } of causesOf(error)) if (code === "ECONNREFUSED") return true;
  return false;
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}

async function* prepend<T>(head: IteratorResult<T>, rest: AsyncIterator<T>): AsyncIterable<T> {
  if (head.done) return;
  yield head.value;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}
