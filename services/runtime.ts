import type { ConnectRouter } from "@connectrpc/connect";
import { resolve } from "node:path";
import { ConfigError } from "#kit/config/config-error.js";
import { envInt, envString, type Env } from "#kit/config/env.js";
import { HealthRegistry } from "#kit/health/health.routes.js";
import { AuthOperatorGate } from "#kit/adapters/operator-gate.auth.js";
import { asCaller, callerGuard, guardGaps } from "#kit/rpc/caller-guard.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { presentServiceKey, readServiceKeys } from "#kit/rpc/service-keys.js";
import { buildHandler, listen, type Listening } from "#kit/rpc/server.js";
import { grpcDirectory, lazyTransport, type ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { createLogger, type Logger } from "#kit/telemetry/logger.js";
import { createMetrics, metricsEndpoint, metricsInterceptor } from "#kit/telemetry/metrics.js";
import { clientTracingInterceptors, serverTracingInterceptors, startTracing } from "#kit/telemetry/tracing.js";
import { CALLER_POLICY } from "./callers.js";
import { SERVICE_FACTORIES, SERVICE_NAMES, type ServiceFactory, type ServiceName } from "./registry.js";

export interface RuntimeConfig {
  /** "all" runs every service in this process (embedded mode); a name runs one (distributed). */
  readonly service: ServiceName | "all";
  readonly dataDir: string;
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
}

export function readRuntimeConfig(env: Env, argv: readonly string[] = []): RuntimeConfig {
  const flag = argv.find((arg) => arg.startsWith("--service="))?.slice("--service=".length);
  const service = flag ?? envString(env, "EXCHANGE_SERVICE", "all");
  if (service !== "all" && !(SERVICE_NAMES as string[]).includes(service)) {
    const setting = flag === undefined ? "EXCHANGE_SERVICE" : "--service";
    throw new ConfigError(setting, `${setting} names an unknown service "${service}"; one of: all, ${SERVICE_NAMES.join(", ")}`);
  }
  return {
    service: service as RuntimeConfig["service"],
    dataDir: resolve(envString(env, "EXCHANGE_DATA_DIR", "data")),
    host: envString(env, "EXCHANGE_HOST", "127.0.0.1"),
    grpcPort: envInt(env, "EXCHANGE_GRPC_PORT", 8080),
    httpPort: envInt(env, "EXCHANGE_HTTP_PORT", 8081),
  };
}

export interface RunningExchange {
  readonly listening: Listening;
  readonly modules: readonly ServiceModule[];
  readonly health: HealthRegistry;
  readonly routes: (router: ConnectRouter) => void;
  stop(): Promise<void>;
}

/** Builds the selected services, mounts them with health and metrics on one server, starts them. */
export async function startExchange(config: RuntimeConfig, env: Env, logger: Logger = createLogger()): Promise<RunningExchange> {
  const names: readonly ServiceName[] = config.service === "all" ? SERVICE_NAMES : [config.service];
  const modules: ServiceModule[] = [];
  const health = new HealthRegistry();
  const metrics = createMetrics();
  // Before any module or transport is built: they pick their interceptors and decorators once.
  const tracing = await startTracing(env, config.service === "all" ? "exchange" : config.service);
  const routes = (router: ConnectRouter) => {
    health.routes(router);
    for (const module of modules) module.routes(router);
  };
  // Guarded RPCs (services/callers.ts) admit only the callers their rule names, in process and over the network.
  const keys = readServiceKeys(env);
  const presented = keys.own && config.service !== "all" ? [presentServiceKey(config.service, keys.own, CALLER_POLICY)] : [];
  const guard = callerGuard({ policy: CALLER_POLICY, keys, operators: new AuthOperatorGate(lazyTransport(() => directoryFor("runtime").transport("auth"))) });
  // Services in this process call each other in-process (through the same interceptors), each call naming the
  // module making it; others over gRPC at <NAME>_ADDR, with this service's key where its name is admitted.
  const local = lazyTransport(() => inProcessTransport(routes, [...serverTracingInterceptors(), guard]));
  const directoryFor = (caller: string): ServiceDirectory =>
    grpcDirectory(env, (service) => ((names as readonly string[]).includes(service) ? asCaller(local, caller) : undefined), [...clientTracingInterceptors(), ...presented]);
  for (const name of names) {
    const factory: ServiceFactory = SERVICE_FACTORIES[name];
    modules.push(await factory(env, config.dataDir, directoryFor(name), { metrics: metrics.registry, logger, colocated: names }));
  }

  const handler = buildHandler({
    routes,
    // Inside the server span, so each latency observation carries its trace id as an exemplar.
    interceptors: [...serverTracingInterceptors(), metricsInterceptor(metrics), guard],
    metrics: metricsEndpoint(metrics),
    fallback: async (request, response) => {
      for (const module of modules) if (module.httpRoute && (await module.httpRoute(request, response))) return true;
      return false;
    },
  });
  // Only when a module takes upgrades (the edge's WebSockets): otherwise node:http's default stays.
  const upgradeHandlers = modules.flatMap((module) => (module.httpUpgrade ? [module.httpUpgrade] : []));
  const upgrade =
    upgradeHandlers.length > 0 ? (...args: Parameters<(typeof upgradeHandlers)[number]>) => upgradeHandlers.some((handle) => handle(...args)) : undefined;
  const listening = await listen(handler, config.host, config.grpcPort, config.httpPort, upgrade);

  for (const module of modules) {
    await module.start?.();
    for (const serviceName of module.serviceNames) health.set(serviceName, true);
    logger.info({ service: module.name }, "service started");
  }
  health.set("", true);
  // Once serving (a process that fails to start says only why): guarded calls its setup will refuse.
  const served = modules.flatMap((module) => module.serviceNames);
  for (const gap of guardGaps(CALLER_POLICY, { served, colocated: names, caller: config.service === "all" ? undefined : config.service, keys })) logger.warn({ service: config.service }, gap);

  return {
    listening,
    modules,
    health,
    routes,
    stop: async () => {
      health.set("", false);
      for (const module of modules) for (const serviceName of module.serviceNames) health.set(serviceName, false);
      await listening.close();
      for (const module of [...modules].reverse()) await module.stop?.();
      await tracing?.shutdown();
    },
  };
}
