import { WebSocket, type RawData } from "ws";
import { ConnectError } from "@connectrpc/connect";
import { Permission, type Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { assertFresh, parseTiming } from "#kit/auth/request-timing.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { authenticateApiKey, authenticateSigned } from "../auth/signed-request.js";
import { dispatch, type Credentials, type DispatchDeps } from "../rest/dispatch.js";
import { restErrorOf, type RestRequest } from "../rest/http.js";
import { retryAfterMsOf, type Route } from "../rest/router.js";
import { keepAlive } from "../ws/keepalive.js";
import type { WebSocketLimits } from "../ws/market-streams.js";
import type { EventSink } from "../ws/user-streams.js";
import { parseRequest, responseText, signaturePayload, type ApiRequest, type ApiResponse, type ErrorBody } from "./frames.js";

// One WebSocket API connection: its requests answered in order, its session (session.logon with
// an Ed25519 key) and its user data subscriptions. Every method runs as a route through the
// same dispatch as REST (weights, auth, order counters); the methods of the connection itself
// are routes too, built over this connection.

/** A session's or a subscription's user data events, and the edge's feeds of them. */
export interface UserEvents {
  subscribe(userId: string, sink: EventSink): () => void;
}

export interface ApiConnectionDeps extends DispatchDeps {
  /** The REST routes, by WebSocket API method name. */
  readonly methods: ReadonlyMap<string, Route>;
  readonly userEvents: UserEvents;
  readonly limits: WebSocketLimits;
  readonly onError?: (error: unknown, context: string) => void;
}

/** Binance: at most 1 000 active user data subscriptions per connection. */
const MAX_SUBSCRIPTIONS = 1000;
/** Binance: at most 65 535 subscriptions over a connection's life. */
const MAX_SUBSCRIPTIONS_EVER = 65_535;
/** An HMAC signature (hex); session.logon takes Ed25519 keys only. */
const HMAC_SIGNATURE = /^[0-9a-fA-F]{64}$/;

interface Session {
  readonly apiKey: string;
  readonly userId: string;
  readonly authorizedSince: number;
}

interface Subscription {
  readonly userId: string;
  /** Opened by userDataStream.subscribe (ends with session.logout), not by a signature. */
  readonly ofSession: boolean;
  readonly leave: () => void;
}

const mandatory = (name: string) =>
  new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`, [{ field: name, description: "required" }]);

export class ApiConnection {
  private session: Session | undefined;
  private readonly subscriptions = new Map<number, Subscription>();
  private subscriptionsEver = 0;
  private readonly connectedSince: number;
  private readonly stopKeepAlive: () => void;
  private readonly own: ReadonlyMap<string, Route>;
  /** Requests are answered in the order they came. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private readonly clientIp: string,
    /** Whether answers carry rateLimits unless a request says otherwise (?returnRateLimits=false). */
    private readonly returnRateLimits: boolean,
    private readonly deps: ApiConnectionDeps,
  ) {
    this.connectedSince = deps.now();
    this.stopKeepAlive = keepAlive(socket, deps.limits, deps.now);
    this.own = this.ownMethods();
    socket.on("message", (data, isBinary) => this.onMessage(data, isBinary));
  }

  /** The socket closed: timers stop, subscriptions end. */
  closed(): void {
    this.stopKeepAlive();
    for (const subscription of this.subscriptions.values()) subscription.leave();
    this.subscriptions.clear();
  }

  private send(text: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      this.socket.terminate(); // a slow consumer
      return;
    }
    this.socket.send(text);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.send(responseText({ id: null, status: 400, error: { code: -1135, msg: "Invalid JSON Request; expected a text frame." } }));
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
    this.queue = this.queue
      .then(async () => this.send(responseText(await this.answer(text))))
      .catch((error: unknown) => this.deps.onError?.(error, "websocket api"));
  }

  private async answer(text: string): Promise<ApiResponse> {
    const request = parseRequest(text);
    if ("invalid" in request) return request.invalid;
    const route = this.own.get(request.method) ?? this.deps.methods.get(request.method);
    if (!route) return { id: request.id, status: 400, error: { code: -1000, msg: `Unknown method '${request.method}'.` } };
    const rest: RestRequest = {
      method: route.method,
      path: route.path,
      rawQuery: signaturePayload(request.params),
      rawBody: "",
      params: new URLSearchParams([...request.params]),
      headers: {},
      clientIp: this.clientIp,
    };
    const outcome = await dispatch(route, rest, this.credentials(request), this.deps);
    const show = request.params.has("returnRateLimits") ? request.params.get("returnRateLimits") !== "false" : this.returnRateLimits;
    const rateLimits = show && outcome.usage.length > 0 ? { rateLimits: outcome.usage } : {};
    if (outcome.ok) return { id: request.id, status: 200, result: outcome.body, ...rateLimits };
    const { status, body } = restErrorOf(outcome.error);
    // cancelReplace's -2021/-2022 carry what happened to each half; a 429 or 418 when to retry.
    const retryAfterMs = status === 429 || status === 418 ? retryAfterMsOf(outcome.error) : undefined;
    const data = retryAfterMs === undefined ? (body as ErrorBody).data : { serverTime: this.deps.now(), retryAfter: this.deps.now() + retryAfterMs };
    return { id: request.id, status, error: data === undefined ? { code: body.code, msg: body.msg } : { code: body.code, msg: body.msg, data }, ...rateLimits };
  }

  /**
   * A request's credentials: its own apiKey and signature when it has a signature (ad hoc, over
   * the session's key if any), else the session's key, checked again by auth on every request,
   * with the request's timestamp and recvWindow checked here.
   */
  private credentials(request: ApiRequest): Credentials {
    const { auth } = this.deps.services;
    const apiKey = request.params.get("apiKey");
    const signature = request.params.get("signature");
    return {
      apiKey: () => authenticateApiKey(auth, apiKey ?? this.session?.apiKey, this.clientIp),
      signed: async (permission) => {
        if (signature !== undefined) {
          if (!apiKey) throw mandatory("apiKey");
          return authenticateSigned(auth, { apiKey, payload: signaturePayload(request.params), signature }, this.clientIp, permission);
        }
        const session = this.session;
        if (!session) throw mandatory(apiKey ? "signature" : "apiKey");
        assertFresh(parseTiming(signaturePayload(request.params)), this.deps.now());
        try {
          return await authenticateApiKey(auth, session.apiKey, this.clientIp, permission);
        } catch (error) {
          // Binance: a session whose key stopped being valid (revoked, IP, permissions) ends.
          if (this.session === session && isRejectedKey(error)) this.logout();
          throw error;
        }
      },
    };
  }

  private status() {
    return {
      apiKey: this.session?.apiKey ?? null,
      authorizedSince: this.session?.authorizedSince ?? null,
      connectedSince: this.connectedSince,
      returnRateLimits: this.returnRateLimits,
      serverTime: this.deps.now(),
      userDataStream: this.subscriptions.size > 0,
    };
  }

  private logout(): void {
    this.session = undefined;
    for (const [id, subscription] of this.subscriptions) {
      if (!subscription.ofSession) continue;
      subscription.leave();
      this.subscriptions.delete(id);
    }
  }

  /** A new subscription to the user's events: `{subscriptionId, event}` frames on this socket. */
  private subscribe(userId: string, ofSession: boolean): { subscriptionId: number } {
    if ([...this.subscriptions.values()].some((s) => s.userId === userId)) {
      throw new DomainError("UNSUPPORTED_OPERATION", "This account already has an active subscription on this connection.");
    }
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) throw new DomainError("UNSUPPORTED_OPERATION", `Too many subscriptions; at most ${MAX_SUBSCRIPTIONS} per connection.`);
    if (this.subscriptionsEver >= MAX_SUBSCRIPTIONS_EVER) throw new DomainError("UNSUPPORTED_OPERATION", `Too many subscriptions over this connection's life; at most ${MAX_SUBSCRIPTIONS_EVER}. Please reconnect.`);
    const subscriptionId = this.subscriptionsEver++;
    const leave = this.deps.userEvents.subscribe(userId, { send: (json) => this.send(`{"subscriptionId":${subscriptionId},"event":${json}}`) });
    this.subscriptions.set(subscriptionId, { userId, ofSession, leave });
    return { subscriptionId };
  }

  /** session.*, userDataStream.subscribe* and unsubscribe: routes over this connection's state. */
  private ownMethods(): ReadonlyMap<string, Route> {
    const route = (name: string, handle: Route["handle"]): [string, Route] => [name, { method: "GET", path: `ws-api:${name}`, security: "NONE", weight: 2, handle }];
    return new Map<string, Route>([
      route("session.logon", async ({ request }) => {
        const principal = await this.signedBy(request, Permission.UNSPECIFIED);
        if (HMAC_SIGNATURE.test(request.params.get("signature") ?? "")) {
          throw new DomainError("UNSUPPORTED_OPERATION", "session.logon takes Ed25519 API keys only; sign each request with an HMAC key instead.");
        }
        if (this.session && this.session.userId !== principal.userId) this.logout();
        this.session = { apiKey: principal.apiKey, userId: principal.userId, authorizedSince: this.deps.now() };
        return this.status();
      }),
      route("session.status", async () => this.status()),
      route("session.logout", async () => {
        this.logout();
        return this.status();
      }),
      route("session.subscriptions", async () => [...this.subscriptions.keys()].map((subscriptionId) => ({ subscriptionId }))),
      route("userDataStream.subscribe", async () => {
        const session = this.session;
        if (!session) throw new DomainError("UNAUTHORIZED", "userDataStream.subscribe needs an authenticated session (session.logon); or use userDataStream.subscribe.signature.");
        // The session's key is checked again, as for any request it authorizes.
        const principal = await authenticateApiKey(this.deps.services.auth, session.apiKey, this.clientIp);
        return this.subscribe(principal.userId, true);
      }),
      route("userDataStream.subscribe.signature", async ({ request }) => this.subscribe((await this.signedBy(request, Permission.UNSPECIFIED)).userId, false)),
      route("userDataStream.unsubscribe", async ({ params }) => {
        const only = params.integer("subscriptionId");
        for (const [id, subscription] of this.subscriptions) {
          if (only !== undefined && id !== only) continue;
          subscription.leave();
          this.subscriptions.delete(id);
        }
        return {};
      }),
    ]);
  }

  /** A request signed on its own (apiKey, timestamp, signature), whatever the session. */
  private signedBy(request: RestRequest, permission: Permission): Promise<Principal> {
    const apiKey = request.params.get("apiKey");
    const signature = request.params.get("signature");
    if (!apiKey) throw mandatory("apiKey");
    if (!signature) throw mandatory("signature");
    return authenticateSigned(this.deps.services.auth, { apiKey, payload: request.rawQuery, signature }, this.clientIp, permission);
  }
}

/** -2015: the key is unknown, revoked, not allowed from this IP, or lacks the permission. */
function isRejectedKey(error: unknown): boolean {
  if (!(error instanceof DomainError) && !(error instanceof ConnectError)) return false;
  return restErrorOf(error).body.code === -2015;
}
