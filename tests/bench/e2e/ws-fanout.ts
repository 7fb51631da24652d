// Market-data fan-out, measured beside workload (b): the subscribers' process (ws-subscribers.ts)
// opens W WebSockets on <symbol>@depth and <symbol>@trade through the edge before a run, reports
// delivery latency and gaps after it, and closes them.
import { join } from "node:path";
import { ForkedProcess } from "./ipc.js";
import type { FromSubscribers, SubscribersReport, ToSubscribers } from "./ws-subscribers.js";

export type FanoutReport = SubscribersReport;

export interface Subscribers {
  readonly pid: number;
  /** Collects after the run: waits until nothing has arrived for a while, then reports. */
  collect(): Promise<FanoutReport>;
  /** Closes every socket and ends the process. */
  close(): Promise<FanoutReport>;
}

/** The edge sends @depth diffs once a second: quiet for longer than that means delivered. */
const QUIET_MS = 1_500;

export async function startSubscribers(options: { restUrl: string; symbol: string; count: number; onProgress: (connected: number) => void }): Promise<Subscribers> {
  const child = ForkedProcess.start<ToSubscribers, FromSubscribers>("WebSocket subscribers", join(import.meta.dirname, "ws-subscribers.ts"), ["--max-semi-space-size=64"]);
  child.onProgress = (message) => {
    if (message.type === "progress") options.onProgress(message.connected);
  };
  const lower = options.symbol.toLowerCase();
  const url = `${options.restUrl.replace(/^http/, "ws")}/stream?streams=${lower}@depth/${lower}@trade`;
  await child.ask({ type: "open", url, count: options.count }, "opened");
  return {
    pid: child.pid,
    collect: async () => (await child.ask({ type: "collect", quietMs: QUIET_MS }, "report")).report,
    close: async () => {
      const { report } = await child.ask({ type: "close" }, "report");
      await child.stop();
      return report;
    },
  };
}
