// `npm run distributed:up`: the exchange in distributed mode on this machine (tests/support/distributed/launch.ts),
// kept running until Ctrl-C, with what each process is and where it listens. Engines must be up
// (npm run infra:up) and helm installed (bash tests/infra/helm/check.sh install).
import { startDistributed } from "./launch.js";

const started = Date.now();
const exchange = await startDistributed({ keepData: process.argv.includes("--keep-data"), onProgress: (line) => console.error(`[distributed] ${line}`) });

const rows = exchange.processes.map((p) => [p.name, p.component, String(p.pid), p.grpcUrl, p.httpUrl, p.logFile]);
const header = ["process", "service", "pid", "gRPC (h2c)", "HTTP/1.1", "log"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
console.log(
  [
    "",
    `distributed mode up in ${((Date.now() - started) / 1000).toFixed(1)} s (run ${exchange.runId}, files in ${exchange.runDir})`,
    "",
    line(header),
    ...rows.map(line),
    "",
    "Services (round robin over the replicas, as <NAME>_ADDR reaches them):",
    ...Object.entries(exchange.grpcUrls).map(([component, url]) => `  ${component.padEnd(10)} ${url}`),
    "",
    `Edge for clients: ${exchange.edgeServiceUrl}   (REST /api/v3, WebSocket /ws, Connect /connect; each replica: ${exchange.edgeUrls.join(", ")})`,
    `  try: curl -s ${exchange.edgeServiceUrl}/api/v3/exchangeInfo?symbol=BTCUSDT`,
    `Operator tooling's service key (wallet's CreditAccount, withdrawal approvals; header x-exchange-service-key): ${exchange.stores.secrets["service-key-ops"]}`,
    "",
    "Ctrl-C stops every process" + (process.argv.includes("--keep-data") ? "." : " and drops the run's schemas, tables and topic (--keep-data keeps them)."),
  ].join("\n"),
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void exchange.stop().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
