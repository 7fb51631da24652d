import { SpanKind, type Link } from "@opentelemetry/api";
import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { contextOf, linkTo, tracingEnabled, withSpan } from "#kit/telemetry/tracing.js";

/** Runs the application of a group of matching's batches (settlement included) in a span of its own. */
export type TraceGroup = (symbol: string, batches: readonly EventBatch[], apply: () => Promise<void>) => Promise<void>;

/**
 * With tracing on: each group applied is a consumer span continuing the trace of the call that submitted its first
 * batch with a trade (else its first batch), linked to the others' traces. So one order's trace runs from the edge
 * through matching to wallet's settlement of its trades. Without tracing: undefined (nothing to run).
 */
export function traceMatchingGroups(): TraceGroup | undefined {
  if (!tracingEnabled()) return undefined;
  return (symbol, batches, apply) => {
    const traced = batches.filter((batch) => batch.traceParent !== "");
    const lead = traced.find((batch) => batch.events.some((event) => event.kind.case === "trade")) ?? traced[0];
    const links = traced.filter((batch) => batch !== lead && batch.traceParent !== lead?.traceParent).map((batch) => linkTo(batch.traceParent)).filter((link): link is Link => link !== undefined);
    const attributes = {
      "messaging.system": "exchange",
      "messaging.destination.name": "exchange.matching.events",
      "messaging.batch.message_count": batches.length,
      "exchange.symbol": symbol,
      "exchange.sequence.first": Number(batches[0]?.sequence ?? 0),
      "exchange.sequence.last": Number(batches[batches.length - 1]?.sequence ?? 0),
    };
    return withSpan("exchange.matching.events process", attributes, apply, { kind: SpanKind.CONSUMER, parent: contextOf(lead?.traceParent ?? ""), links });
  };
}
