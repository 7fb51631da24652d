import { create } from "@bufbuild/protobuf";
import { Code, type HandlerContext } from "@connectrpc/connect";
import {
  OrderEntryAckSchema,
  OrderEntryStatusSchema,
  StreamOrderEntryRequestSchema,
  StreamOrderEntryResponseSchema,
  type OrderEntryAck,
  type StreamOrderEntryRequest,
  type StreamOrderEntryResponse,
} from "#gen/exchange/order/v1/order_pb.js";
import type { Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { errorStatusOf } from "#kit/errors/connect-errors.js";
import { httpStatusForCode } from "#kit/errors/error-table.js";
import { placedNothing, type OrderAdmission, type RateLimiter } from "../rate-limit/rate-limiter.js";
import type { EdgeServices } from "../rest/services.js";
import { callerOf, clientIpOf, toPublicError } from "./caller.js";
import { FrozenAccountCheck } from "./frozen-account.js";

// StreamOrderEntry through the edge: the stream was authenticated once (callerInterceptor); each
// request is then admitted on its own: its account forced to the caller's, refused while an operator
// has frozen the account (frozen-account.ts: auth asked again, as PlaceOrder and CancelOrder ask it
// at authentication), its weight counted against the IP and the user, and a place counted as a new
// order, as PlaceOrder and CancelOrder are (and given back when its ack says it placed nothing, as
// for a refused PlaceOrder). A refused request is acknowledged here, in its turn, and the stream
// goes on; admitted ones go on to order in request order, and order's acks are renumbered to the
// client's requests.

/** Requests read and not yet acknowledged; the edge stops reading at this many (order's own window). */
const WINDOW = 1024;
/** Responses waiting for the client before the edge stops reading order's. */
const MAX_QUEUED = 4096;

interface Slot {
  readonly index: number;
  ack?: OrderEntryAck;
  /** A place's count toward the order-rate limits, given back if order refuses it. */
  counted?: OrderAdmission;
}

/** A request admitted by the edge: what goes to order, and the place's count toward the order-rate limits. */
interface Admitted {
  readonly request: StreamOrderEntryRequest;
  readonly counted?: OrderAdmission;
}

/** The account a stream's request may name (the caller's), as ownAccount in public.routes. */
export type OwnAccount = (principal: Principal, named: string, field: string) => string;

export function orderEntryThroughEdge(services: EdgeServices, limiter: RateLimiter | undefined, ownAccount: OwnAccount) {
  return async function* streamOrderEntry(requests: AsyncIterable<StreamOrderEntryRequest>, context: HandlerContext): AsyncGenerator<StreamOrderEntryResponse> {
    const principal = callerOf(context);
    const ip = clientIpOf(context);
    const session = new EntryRelay();
    const frozen = new FrozenAccountCheck(services.auth, principal.userId, context.signal);

    /** Why the request may not go on, if so; else the request for order, with the caller's account. */
    const admit = async (message: StreamOrderEntryRequest): Promise<Admitted> => {
      const { action } = message;
      if (action.case === undefined) return { request: message }; // order refuses it (-1102)
      const accountId = ownAccount(principal, action.value.accountId, `${action.case}.account_id`);
      await frozen.assertNotFrozen();
      let counted: OrderAdmission | undefined;
      if (limiter) {
        for (const admission of [() => limiter.admitIp(ip, 1), () => limiter.admitApiKey(`user:${principal.userId}`, 1)]) {
          const { refused } = await admission();
          if (refused) throw refused;
        }
        if (action.case === "place") {
          counted = await limiter.admitOrder(principal.userId);
          if (counted.refused) {
            await giveBack(counted);
            throw counted.refused;
          }
        }
      }
      return { request: create(StreamOrderEntryRequestSchema, { action: { case: action.case, value: { ...action.value, accountId } } as StreamOrderEntryRequest["action"] }), counted };
    };

    const upstream = services.order.streamOrderEntry(session.forwarded(), { signal: context.signal });
    void session.read(requests, admit);
    void session.relay(upstream);
    try {
      yield* session.responses();
    } catch (error) {
      throw toPublicError(error);
    } finally {
      session.close();
    }
  };
}

class EntryRelay {
  /** Every request read and not yet acknowledged to the client, in request order. */
  private readonly slots: Slot[] = [];
  /** Slots whose requests went to order, waiting for order's acks (which come in that order). */
  private readonly awaitingUpstream: Slot[] = [];
  private readonly out: StreamOrderEntryResponse[] = [];
  private readonly toOrder: StreamOrderEntryRequest[] = [];
  private toOrderDone = false;
  private upstreamDone = false;
  private readerDone = false;
  private failure: unknown;
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Reads the client's requests, admits each (in parallel), and forwards or refuses them in request order. */
  async read(requests: AsyncIterable<StreamOrderEntryRequest>, admit: (message: StreamOrderEntryRequest) => Promise<Admitted>): Promise<void> {
    let turn = Promise.resolve();
    let index = 0;
    try {
      for await (const message of requests) {
        if (this.closed) break;
        const slot: Slot = { index: index++ };
        this.slots.push(slot);
        const admitted = admit(message);
        admitted.catch(() => undefined);
        turn = turn.then(async () => {
          try {
            const { request, counted } = await admitted;
            slot.counted = counted;
            this.toOrder.push(request);
            this.awaitingUpstream.push(slot);
          } catch (error) {
            slot.ack = refusedAck(slot.index, message, error);
            this.flush();
          }
          this.notify();
        });
        while (this.slots.length >= WINDOW && !this.closed) await this.changed();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      await turn;
      this.readerDone = true;
      this.toOrderDone = true;
      this.flush();
      this.notify();
    }
  }

  /** What goes to order, in request order. */
  async *forwarded(): AsyncGenerator<StreamOrderEntryRequest> {
    for (;;) {
      const next = this.toOrder.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.toOrderDone || this.closed) return;
      await this.changed();
    }
  }

  /** Order's answers: acks renumbered to the client's requests, reports as they come. */
  async relay(upstream: AsyncIterable<StreamOrderEntryResponse>): Promise<void> {
    try {
      for await (const response of upstream) {
        if (response.event.case === "ack") {
          const slot = this.awaitingUpstream.shift();
          if (!slot) throw new Error("order acknowledged a request the edge did not send");
          const ack = response.event.value;
          // Corrected before the client sees the ack, so its next place finds the count as it stands.
          if (slot.counted && ack.result.case === "error" && placedNothing(httpStatusForCode(ack.result.value.code))) await giveBack(slot.counted);
          slot.ack = publicAck({ ...ack, requestIndex: BigInt(slot.index) });
          this.flush();
        } else {
          this.out.push(response);
        }
        this.notify();
        while (this.out.length >= MAX_QUEUED && !this.closed) await this.changed();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.upstreamDone = true;
      this.notify();
    }
  }

  async *responses(): AsyncGenerator<StreamOrderEntryResponse> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const next = this.out.shift();
      if (next) {
        if (this.out.length + 1 === MAX_QUEUED) this.notify();
        yield next;
        continue;
      }
      // order ends its side once it acknowledged every request it got (and wrote the reports held for them).
      if (this.readerDone && this.slots.length === 0 && this.upstreamDone) return;
      if (this.upstreamDone && this.awaitingUpstream.length > 0) throw new Error("order ended the stream before acknowledging every request");
      await this.changed();
    }
  }

  close(): void {
    this.closed = true;
    this.notify();
  }

  /** Acks whose turn came (every earlier request acknowledged) go out. */
  private flush(): void {
    let moved = false;
    while (this.slots[0]?.ack) {
      const slot = this.slots.shift()!;
      this.out.push(create(StreamOrderEntryResponseSchema, { event: { case: "ack", value: slot.ack! } }));
      moved = true;
    }
    if (moved) this.notify();
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.notify();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A place that placed nothing leaves the order counters as they were; a counter that cannot be corrected keeps the count. */
async function giveBack(counted: OrderAdmission): Promise<void> {
  await counted.giveBack().catch(() => undefined);
}

function refusedAck(index: number, message: StreamOrderEntryRequest, error: unknown): OrderEntryAck {
  const { action } = message;
  const clientOrderId = action.case === "place" ? action.value.clientOrderId : action.case === "cancel" ? action.value.origClientOrderId : "";
  const status = errorStatusOf(error);
  return create(OrderEntryAckSchema, { requestIndex: BigInt(index), clientOrderId, result: { case: "error", value: { ...status, fieldViolations: [...status.fieldViolations] } } });
}

/** An ack as the public API may show it: an internal failure says no more than that. */
function publicAck(ack: OrderEntryAck): OrderEntryAck {
  if (ack.result.case !== "error" || (ack.result.value.code !== Code.Internal && ack.result.value.code !== Code.Unknown)) return ack;
  return { ...ack, result: { case: "error", value: create(OrderEntryStatusSchema, { code: Code.Internal, binanceCode: -1000, message: "Internal error." }) } };
}
