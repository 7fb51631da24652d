// `npm start`: every service in one process (embedded), or one with --service=<name>.
import { onShutdown } from "#kit/lifecycle/shutdown.js";
import { exitOnConfigError } from "#kit/lifecycle/start-failure.js";
import { createLogger } from "#kit/telemetry/logger.js";
import { readRuntimeConfig, startExchange, type RunningExchange, type RuntimeConfig } from "./runtime.js";

const logger = createLogger();
let config: RuntimeConfig;
let exchange: RunningExchange;
try {
  config = readRuntimeConfig(process.env, process.argv.slice(2));
  exchange = await startExchange(config, process.env, logger);
} catch (error) {
  // A bad setting: one line naming it, exit 1. Anything else is a bug and keeps its stack.
  throw exitOnConfigError(logger, error, process.env);
}
onShutdown(logger, () => exchange.stop());

const { http2Url, http1Url } = exchange.listening;
logger.info({ mode: config.service === "all" ? "embedded" : "distributed", service: config.service, dataDir: config.dataDir, grpc: http2Url, http: http1Url }, "exchange ready");
process.stdout.write(
  [
    "",
    `exchange ready (${config.service === "all" ? "embedded: every service in this process" : `service ${config.service}`}), data in ${config.dataDir}`,
    `  gRPC / gRPC-Web / Connect (HTTP/2 h2c): ${http2Url}`,
    `  Connect JSON / gRPC-Web (HTTP/1.1):     ${http1Url}`,
    `  health: grpc.health.v1 on both; ${http1Url}/healthz   metrics: ${http1Url}/metrics`,
    `  try: curl -s -X POST -H 'content-type: application/json' -d '{}' ${http1Url}/exchange.order.v1.OrderService/GetExchangeInfo`,
    "",
  ].join("\n"),
);
