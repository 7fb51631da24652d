/**
 * Publishes a symbol's event batches to the events topic (EventLog port), keyed by symbol, in sequence order.
 *
 * The command journal is the outbox: batches are a function of the journaled commands, and SymbolBooks re-derives
 * the recent ones at open, so whatever was journaled and not yet published is published after a crash. The
 * publisher keeps, in a small file beside the symbol's journal, the last sequence the log acknowledged; it starts
 * after it and goes on with the live batches, one append at a time (the next waits for the previous to be
 * acknowledged, and a failed append is retried as is), so the topic holds each symbol's batches in sequence order.
 * The file is written after the append, without fsync: a crash between the two publishes some batches again, which
 * consumers skip by sequence; never a hole and never one batch before an earlier one.
 */
import { promises as fsp } from "node:fs";
import { toBinary } from "@bufbuild/protobuf";
import { EventBatchSchema, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { SEQUENCE_HEADER } from "#kit/events/sequenced-feed.js";
import { inGroups } from "#kit/lifecycle/in-groups.js";
import type { EventLog } from "#kit/ports/event-log.port.js";

export const EVENTS_TOPIC = "exchange.matching.events.v1";

export interface EventPublishing {
  readonly log: EventLog;
  readonly topic?: string;
  /** Batches per append at most (default 500). */
  readonly maxBatches?: number;
  /** Back-off after a failed append, doubled up to 5 s (default 100 ms). */
  readonly retryMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

/** The record of one batch: key = symbol, value = the EventBatch message, its sequence in a header. */
export function eventRecord(batch: EventBatch) {
  return { key: batch.symbol, value: toBinary(EventBatchSchema, batch), headers: { [SEQUENCE_HEADER]: String(batch.sequence) } };
}

export async function readPublished(file: string): Promise<number> {
  const text = await fsp.readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return "0";
    throw error;
  });
  const sequence = Number(text.trim());
  return Number.isSafeInteger(sequence) && sequence >= 0 ? sequence : 0;
}

async function writePublished(file: string, sequence: number): Promise<void> {
  const tmp = `${file}.tmp`;
  await fsp.writeFile(tmp, `${sequence}\n`);
  await fsp.rename(tmp, file);
}

/**
 * Runs until `signal` aborts: reads the checkpoint, then appends the batches `events(from)` yields (the symbol's
 * retained and live batches), in groups, each group once acknowledged before the next.
 */
export async function publishEvents(
  symbol: string,
  checkpoint: string,
  events: (from: number, signal: AbortSignal) => AsyncIterable<EventBatch>,
  publishing: EventPublishing,
  signal: AbortSignal,
): Promise<void> {
  const topic = publishing.topic ?? EVENTS_TOPIC;
  const firstDelay = publishing.retryMs ?? 100;
  let published = await readPublished(checkpoint);
  for await (const group of inGroups(events(published + 1, signal), publishing.maxBatches ?? 500)) {
    const records = group.map(eventRecord);
    for (let delay = firstDelay; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        await publishing.log.append(topic, records);
        break;
      } catch (error) {
        if (signal.aborted) return;
        publishing.onError?.(error, `publishing ${symbol}'s events from ${group[0]!.sequence}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
          }
          signal.addEventListener("abort", done, { once: true });
        });
        if (signal.aborted) return;
      }
    }
    published = Number(group[group.length - 1]!.sequence);
    await writePublished(checkpoint, published).catch((error: unknown) => publishing.onError?.(error, `recording ${symbol}'s published sequence`));
  }
}
