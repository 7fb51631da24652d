import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { OrderEntryAck, OrderService, OrderUpdate, StreamOrderEntryRequestSchema, StreamOrderEntryResponse } from "#gen/exchange/order/v1/order_pb.js";
import { until } from "./until.js";

type Request = MessageInitShape<typeof StreamOrderEntryRequestSchema>;

/** One StreamOrderEntry call driven by a test: send requests when it likes, read what came back so far. */
export class EntryStream {
  readonly responses: StreamOrderEntryResponse[] = [];
  error: unknown;
  ended = false;
  private readonly queue: Request[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(client: Client<typeof OrderService>, options: CallOptions = {}) {
    this.done = (async () => {
      try {
        for await (const response of client.streamOrderEntry(this.requests(), options)) this.responses.push(response);
      } catch (error) {
        this.error = error;
      } finally {
        this.ended = true;
      }
    })();
  }

  send(...requests: Request[]): this {
    this.queue.push(...requests);
    this.wake?.();
    return this;
  }

  /** Half-closes: no more requests; the server ends once it acknowledged them all. */
  end(): Promise<void> {
    this.closed = true;
    this.wake?.();
    return this.done;
  }

  acks(): OrderEntryAck[] {
    return this.responses.flatMap((r) => (r.event.case === "ack" ? [r.event.value] : []));
  }

  reports(): OrderUpdate[] {
    return this.responses.flatMap((r) => (r.event.case === "report" ? [r.event.value] : []));
  }

  /** Waits until `count` acks came back (or the stream ended). */
  async untilAcks(count: number, timeoutMs = 15_000): Promise<OrderEntryAck[]> {
    await until(() => this.acks().length >= count || this.ended, timeoutMs);
    return this.acks();
  }

  private async *requests(): AsyncGenerator<Request> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
