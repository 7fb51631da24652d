import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type Tracer } from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import type { Env } from "../config/env.js";

// OpenTelemetry tracing, off unless OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set. Off, nothing of the
// SDK is loaded, no interceptor is installed and every helper here is one `undefined` check: the order path pays
// nothing. On: one span per RPC (server and gRPC client), context carried in `traceparent` headers over gRPC and
// Kafka and on matching's event batches, and spans for the work behind the RPCs (journal, stores, settlement).

let tracer: Tracer | undefined;

/** True once startTracing configured an exporter. */
export function tracingEnabled(): boolean {
  return tracer !== undefined;
}

export interface RunningTracing {
  /** Exports what is buffered, then stops. */
  shutdown(): Promise<void>;
}

/** `k=v,k=v` (OTEL_RESOURCE_ATTRIBUTES) as attributes; values are percent-decoded as the spec says. */
function resourceAttributes(text: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of (text ?? "").split(",")) {
    const at = pair.indexOf("=");
    if (at <= 0) continue;
    try {
      attributes[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      attributes[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
    }
  }
  return attributes;
}

/**
 * Starts the SDK when an OTLP endpoint is configured: a Node tracer provider (AsyncLocalStorage context, W3C
 * trace context) exporting in batches over OTLP/HTTP. `serviceName` applies unless OTEL_SERVICE_NAME is set.
 */
export async function startTracing(env: Env, serviceName: string): Promise<RunningTracing | undefined> {
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || (base ? `${base.replace(/\/+$/, "")}/v1/traces` : "");
  if (!tracesUrl || env.OTEL_SDK_DISABLED === "true" || env.OTEL_TRACES_EXPORTER === "none") return undefined;
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const resource = resourceFromAttributes({ ...resourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES), "service.name": env.OTEL_SERVICE_NAME?.trim() || serviceName });
  const scheduledDelayMillis = Number(env.OTEL_BSP_SCHEDULE_DELAY) || 1000;
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }), { scheduledDelayMillis })] });
  provider.register();
  tracer = trace.getTracer("exchange");
  return {
    shutdown: async () => {
      tracer = undefined;
      await provider.shutdown();
    },
  };
}

/** Runs `work` in a span named `name` (child of the active span); without tracing, just runs it. */
export function withSpan<T>(name: string, attributes: Attributes | undefined, work: () => Promise<T>, options: { kind?: SpanKind; parent?: Context; links?: Link[] } = {}): Promise<T> {
  const active = tracer;
  if (!active) return work();
  return active.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links }, options.parent ?? context.active(), (span) => finish(span, work));
}

async function finish<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** The active span's trace id (undefined without tracing or outside any span): exemplars on latency histograms. */
export function currentTraceId(): string | undefined {
  if (!tracer) return undefined;
  return trace.getSpanContext(context.active())?.traceId;
}

/** W3C `traceparent` of the active span ("" without tracing or outside any span). */
export function currentTraceParent(): string {
  if (!tracer) return "";
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? "";
}

/** The context a `traceparent` names (the root context when empty). */
export function contextOf(traceParent: string): Context {
  return traceParent ? propagation.extract(ROOT_CONTEXT, { traceparent: traceParent }) : ROOT_CONTEXT;
}

/** A link to the span a `traceparent` names, or undefined. */
export function linkTo(traceParent: string): Link | undefined {
  const spanContext = traceParent ? trace.getSpanContext(contextOf(traceParent)) : undefined;
  return spanContext ? { context: spanContext } : undefined;
}

/** Adds the active context's `traceparent` to Kafka record headers (nothing without tracing). */
export function injectHeaders(headers: Record<string, string | Buffer>): void {
  if (!tracer) return;
  propagation.inject(context.active(), headers);
}

/** The context carried in Kafka record headers. */
export function contextFromHeaders(headers: Readonly<Record<string, unknown>> | undefined): Context {
  const value = headers?.traceparent;
  const text = Buffer.isBuffer(value) ? value.toString("latin1") : typeof value === "string" ? value : "";
  return contextOf(text);
}

/**
 * Trace and span ids for log lines (pino mixin); an empty object without an active span. A new object each time:
 * pino merges the line's own fields into what the mixin returns.
 */
export function traceFields(): object {
  if (!tracer) return {};
  const spanContext = trace.getSpanContext(context.active());
  return spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {};
}

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};
const headerSetter = { set: (carrier: Headers, key: string, value: string) => carrier.set(key, value) };

/** RPC attributes by OpenTelemetry's semantic conventions. */
function rpcAttributes(service: string, method: string): Attributes {
  return { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method };
}

/**
 * Server spans: one per call, child of the caller's `traceparent` (or of the active span for in-process calls).
 * A stream's span covers the handler's start; its messages are not spans.
 */
const serverSpans: Interceptor = (next) => (request) => {
  const active = tracer;
  if (!active) return next(request);
  const parent = propagation.extract(context.active(), request.header, headerGetter);
  const name = `${request.service.typeName}/${request.method.name}`;
  return active.startActiveSpan(name, { kind: SpanKind.SERVER, attributes: rpcAttributes(request.service.typeName, request.method.name) }, parent, (span) => finish(span, () => next(request)));
};

/** Client spans for calls leaving the process over gRPC, their context sent as `traceparent`. */
const clientSpans: Interceptor = (next) => (request) => {
  const active = tracer;
  if (!active) return next(request);
  const name = `${request.service.typeName}/${request.method.name}`;
  return active.startActiveSpan(name, { kind: SpanKind.CLIENT, attributes: rpcAttributes(request.service.typeName, request.method.name) }, (span) =>
    finish(span, () => {
      propagation.inject(context.active(), request.header, headerSetter);
      return next(request);
    }),
  );
};

/** Interceptors for servers and in-process transports: none without tracing. */
export function serverTracingInterceptors(): Interceptor[] {
  return tracer ? [serverSpans] : [];
}

/** Interceptors for gRPC clients: none without tracing. */
export function clientTracingInterceptors(): Interceptor[] {
  return tracer ? [clientSpans] : [];
}

/**
 * `target` with each named async method run in a span `<prefix>.<method>`: the stores' commits. Without tracing,
 * `target` itself (no proxy, no cost).
 */
export function tracedMethods<T extends object>(target: T, prefix: string, methods: readonly (keyof T & string)[]): T {
  if (!tracer) return target;
  const names = new Set<string>(methods);
  return new Proxy(target, {
    get(object, key, receiver) {
      const value = Reflect.get(object, key, receiver) as unknown;
      if (typeof key !== "string" || !names.has(key) || typeof value !== "function") return value;
      return (...args: unknown[]) => withSpan(`${prefix}.${key}`, undefined, () => Promise.resolve((value as (...a: unknown[]) => unknown).apply(object, args)));
    },
  });
}
