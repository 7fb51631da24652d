// The cost of tracing when it is off (no OTLP endpoint): unary calls through the kit's in-process transport and a
// server's interceptor chain, A without any tracing code, B as the runtime builds it (tracing interceptors asked for,
// the exemplar-aware metrics interceptor, tracedMethods on the handler's store). Alternating rounds, best of each.
//   npx tsx tests/bench/tracing-off.bench.ts [calls=200000] [rounds=5]
import { createClient, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { Health } from "#gen/grpc/health/v1/health_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { createMetrics, metricsInterceptor } from "#kit/telemetry/metrics.js";
import { clientTracingInterceptors, serverTracingInterceptors, tracedMethods, tracingEnabled } from "#kit/telemetry/tracing.js";

const calls = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
if (tracingEnabled()) throw new Error("tracing must be off");

function variant(withTracingCode: boolean) {
  const metrics = createMetrics();
  const plain = { read: async () => 1 };
  const store = withTracingCode ? tracedMethods(plain, "store", ["read"]) : plain;
  const routes = (router: ConnectRouter) => router.service(Health, { check: async () => ({ status: (await store.read()) as 1 }) });
  // A: the metrics interceptor as it was before exemplars (a timer, no trace lookup).
  const timerOnly: Interceptor = (next) => async (request) => {
    const stop = metrics.rpcDuration.startTimer({ service: request.service.typeName, method: request.method.name });
    const response = await next(request);
    stop({ code: "ok" });
    return response;
  };
  const interceptors = withTracingCode ? [...serverTracingInterceptors(), metricsInterceptor(metrics), ...clientTracingInterceptors()] : [timerOnly];
  return createClient(Health, inProcessTransport(routes, interceptors));
}

async function run(client: ReturnType<typeof variant>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < calls; i++) await client.check({ service: "" });
  return calls / ((performance.now() - started) / 1000);
}

const a = variant(false);
const b = variant(true);
await run(a);
await run(b); // warm-up
const best = { a: 0, b: 0 };
for (let round = 0; round < rounds; round++) {
  best.a = Math.max(best.a, await run(a));
  best.b = Math.max(best.b, await run(b));
}
console.log(`A (no tracing code): ${Math.round(best.a)} calls/s; B (tracing off, as built): ${Math.round(best.b)} calls/s; B/A = ${(best.b / best.a).toFixed(3)}`);
