// The WebSocket subscribers' process: W sockets on the edge, each on <symbol>@depth and
// <symbol>@trade (one combined stream), as a market-data client would open them. For every
// subscriber it checks that depth diffs follow each other without a gap (each U is the previous
// u + 1) and that trade ids do too, and it records delivery latency: for a trade, from the trade's
// time (T) to its arrival; for a depth diff, from its event time (E, when the edge sent it).
// Controlled by the bench runner over IPC (see ws-fanout.ts).
import WebSocket from "ws";
import { LatencyRecorder } from "./latency.js";
import type { Percentiles } from "./protocol.js";

export type ToSubscribers = { readonly type: "open"; readonly url: string; readonly count: number } | { readonly type: "collect"; readonly quietMs: number } | { readonly type: "close" };

export interface SubscribersReport {
  readonly subscribers: number;
  readonly messages: number;
  readonly depthMessages: number;
  readonly tradeMessages: number;
  readonly latency: Readonly<Record<string, Percentiles>>;
  /** Subscribers that received no trade while trades happened, closed sockets, gaps. */
  readonly violations: readonly string[];
}

export type FromSubscribers =
  | { readonly type: "progress"; readonly connected: number }
  | { readonly type: "opened" }
  | { readonly type: "report"; readonly report: SubscribersReport }
  | { readonly type: "failed"; readonly message: string };

const MAX_VIOLATIONS = 50;
const send = (message: FromSubscribers) => {
  if (process.connected) process.send!(message);
};

interface Subscriber {
  readonly index: number;
  readonly socket: WebSocket;
  lastU?: number;
  lastTrade?: number;
  trades: number;
  closed?: number;
}

let subscribers: Subscriber[] = [];
const latency = new LatencyRecorder();
const counts = { messages: 0, depth: 0, trade: 0 };
let lastMessageAt = Date.now();
const violations: string[] = [];
const violation = (text: string) => {
  if (violations.length < MAX_VIOLATIONS) violations.push(text);
};

function onMessage(subscriber: Subscriber, raw: WebSocket.RawData): void {
  const received = Date.now();
  lastMessageAt = received;
  counts.messages += 1;
  const { stream, data } = JSON.parse(String(raw)) as { stream: string; data: { e: string; E: number; T?: number; t?: number; U?: number; u?: number } };
  if (data.e === "depthUpdate") {
    counts.depth += 1;
    if (subscriber.lastU !== undefined && data.U !== subscriber.lastU + 1) violation(`subscriber ${subscriber.index}: depth gap, U ${data.U} after u ${subscriber.lastU}`);
    subscriber.lastU = data.u;
    latency.record("depth (E to arrival)", (received - data.E) * 1000);
  } else if (data.e === "trade") {
    counts.trade += 1;
    subscriber.trades += 1;
    if (subscriber.lastTrade !== undefined && data.t !== subscriber.lastTrade + 1) violation(`subscriber ${subscriber.index}: trade gap, id ${data.t} after ${subscriber.lastTrade}`);
    subscriber.lastTrade = data.t;
    latency.record("trade (T to arrival)", (received - data.T!) * 1000);
    latency.record("trade (E to arrival)", (received - data.E) * 1000);
  } else {
    violation(`subscriber ${subscriber.index}: unexpected message on ${stream}: ${String(raw).slice(0, 200)}`);
  }
}

async function open(url: string, count: number): Promise<void> {
  let connected = 0;
  const progress = setInterval(() => send({ type: "progress", connected }), 250);
  const connectOne = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const subscriber: Subscriber = { index, socket, trades: 0 };
      socket.on("message", (data) => onMessage(subscriber, data));
      socket.once("open", () => {
        connected += 1;
        subscribers.push(subscriber);
        resolve();
      });
      socket.once("unexpected-response", (_request, response) => reject(new Error(`subscriber ${index}: HTTP ${response.statusCode}`)));
      socket.once("error", reject);
      socket.on("close", (code) => (subscriber.closed = code));
    });
  try {
    // A few at a time: a thousand simultaneous handshakes measure the kernel's accept queue, not the edge.
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) await connectOne(next++);
      }),
    );
  } finally {
    clearInterval(progress);
  }
}

async function collect(quietMs: number): Promise<SubscribersReport> {
  // Until nothing has arrived for quietMs: what the run sent has been delivered.
  const deadline = Date.now() + 60_000;
  while (Date.now() - lastMessageAt < quietMs && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const found: string[] = [...violations];
  const anyTrades = counts.trade > 0;
  for (const subscriber of subscribers) {
    if (subscriber.closed !== undefined) found.push(`subscriber ${subscriber.index}: socket closed (${subscriber.closed}) during the run`);
    else if (anyTrades && subscriber.trades === 0) found.push(`subscriber ${subscriber.index}: received no trade while others received ${counts.trade}`);
    if (found.length >= MAX_VIOLATIONS) break;
  }
  return { subscribers: subscribers.length, messages: counts.messages, depthMessages: counts.depth, tradeMessages: counts.trade, latency: latency.summary(), violations: found };
}

process.on("message", (message: ToSubscribers) => {
  void (async () => {
    try {
      switch (message.type) {
        case "open":
          await open(message.url, message.count);
          send({ type: "opened" });
          break;
        case "collect":
          send({ type: "report", report: await collect(message.quietMs) });
          break;
        case "close": {
          const report = await collect(0);
          for (const subscriber of subscribers) subscriber.socket.close();
          subscribers = [];
          send({ type: "report", report });
          break;
        }
      }
    } catch (error) {
      send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
// A message sent as the runner goes away (Ctrl-C) fails to write: nothing is left to tell.
process.on("error", () => process.exit(0));
