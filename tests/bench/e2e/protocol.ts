// What the bench runner and its load process say to each other over the fork's IPC channel.

/** a: crossing limit orders over gRPC; b: maker/taker mix with cancels over gRPC; c: (a) over signed REST; stream: (a) over StreamOrderEntry. */
export type OrderWorkload = "a" | "b" | "c" | "stream";
/** The ceilings: a no-op RPC of the exchange's own stack, and a plain node:http2 server. */
export type CeilingWorkload = "noop" | "plain";
export type WorkloadName = OrderWorkload | CeilingWorkload;

export type GrpcClientKind = "connect" | "h2";

export interface BenchAccount {
  readonly accountId: string;
  /** An HMAC-SHA256 API key with TRADE permission (workload c). */
  readonly apiKey: string;
  readonly secret: string;
}

export interface RunSpec {
  readonly workload: WorkloadName;
  /** A label for client order ids and reports: "a1", "b3", "a-warmup"... */
  readonly label: string;
  /** h2c URL the gRPC client calls (the order service's, marketdata's for "noop", the plain server's for "plain"). */
  readonly grpcUrl: string;
  /** The gRPC client: connect-node's (createGrpcTransport), or the lean one on node:http2 (lean-grpc.ts). */
  readonly client: GrpcClientKind;
  /** HTTP/2 connections to open to it (clients take them in turn), so that calls spread over a service's replicas. */
  readonly connections: number;
  /** HTTP/1.1 URL of the exchange (the edge's REST API). */
  readonly restUrl: string;
  readonly clients: number;
  /** Stop issuing after this long, or after this many operations in all. */
  readonly durationMs?: number;
  readonly operations?: number;
  readonly seed: number;
  readonly symbol: string;
  readonly accounts: readonly BenchAccount[];
}

export interface Percentiles {
  readonly count: number;
  /** Milliseconds. */
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** [percentile, ms] points for the plot. */
  readonly curve: ReadonlyArray<readonly [number, number]>;
}

export interface RunResult {
  readonly workload: WorkloadName;
  readonly label: string;
  /** Successful calls of any kind. */
  readonly calls: number;
  /** Orders placed and acknowledged. */
  readonly orders: number;
  /** Cancels acknowledged (workload b). */
  readonly cancels: number;
  /** Refusals a trader legitimately meets (insufficient balance, unknown order...), by reason. */
  readonly refused: Readonly<Record<string, number>>;
  /** Anything else: failures of the bench. */
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  /** Latency per RPC ("PlaceOrder", "CancelOrder", "POST /api/v3/order"...). */
  readonly latency: Readonly<Record<string, Percentiles>>;
}

/** What the acknowledged orders check found (after every account's open orders were canceled). */
export interface AckReport {
  readonly acknowledged: number;
  readonly checked: number;
  readonly violations: readonly string[];
  /** Orders the exchange holds that the load process never saw acknowledged (calls cut by errors). */
  readonly unacknowledgedStored: number;
}

export type ToLoad =
  | { readonly type: "run"; readonly spec: RunSpec }
  | { readonly type: "cancel-all"; readonly grpcUrl: string; readonly symbol: string; readonly accounts: readonly string[] }
  | { readonly type: "verify"; readonly grpcUrl: string; readonly symbol: string }
  | { readonly type: "exit" };

export type FromLoad =
  | { readonly type: "ready" }
  | { readonly type: "progress"; readonly done: number; readonly elapsedMs: number }
  | { readonly type: "result"; readonly result: RunResult }
  | { readonly type: "canceled"; readonly canceled: number }
  | { readonly type: "verified"; readonly report: AckReport }
  | { readonly type: "failed"; readonly message: string };
