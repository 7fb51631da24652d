// The caller guard (kit/src/rpc/caller-guard.ts) in process, on a stand-in service: each guarded RPC runs only for
// a caller its rule admits (a module named in process, a service key, an operator's token), every other caller is
// refused with the right code and details before the handler runs; unguarded RPCs are left alone.
import { describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, type ConnectRouter, type Transport } from "@connectrpc/connect";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { asCaller, callerGuard, guardGaps } from "#kit/rpc/caller-guard.js";
import { callerPolicy, OPS } from "#kit/rpc/caller-policy.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { presentServiceKey, readServiceKeys, SERVICE_KEY_HEADER } from "#kit/rpc/service-keys.js";

const ORDER_KEY = "order-key-0123456789abcdef0123456789";
const OPS_KEY = "ops-key-0123456789abcdef0123456789abc";
const EDGE_KEY = "edge-key-0123456789abcdef0123456789ab";

// Check: operators and ops; Watch (a stream): order only.
const policy = callerPolicy(Health, {
  check: { services: [OPS], operators: true },
  watch: { services: ["order"], operators: false },
});
// Check: order only, as wallet's holds are.
const orderOnly = callerPolicy(Health, { check: { services: ["order"], operators: false } });

/** Operators as auth decides them: one token holds the role, one does not, anything else is no valid token. */
const operators: OperatorGate = {
  async authorize(token) {
    if (token === "operator-token") return { userId: "u-operator" };
    if (token === "user-token") throw new DomainError("FORBIDDEN", "This action needs the operator role.");
    throw new DomainError("UNAUTHORIZED", "Unknown token.");
  },
};

function exchange(rules = policy) {
  const ran: string[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(Health, {
      check: () => {
        ran.push("check");
        return { status: HealthCheckResponse_ServingStatus.SERVING };
      },
      watch: async function* () {
        ran.push("watch");
        yield { status: HealthCheckResponse_ServingStatus.SERVING };
      },
    });
  const keys = readServiceKeys({ EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: OPS_KEY, EXCHANGE_CALLER_KEY_EDGE: EDGE_KEY });
  const transport = inProcessTransport(routes, [callerGuard({ policy: rules, keys, operators })]);
  return { ran, transport };
}

async function refusal(call: Promise<unknown>) {
  const error = ConnectError.from(await call.then(() => new Error("expected a refusal"), (e: unknown) => e));
  const info = error.findDetails(ErrorInfoSchema)[0];
  return { code: error.code, reason: info?.reason, method: info?.metadata.method, callers: info?.metadata.callers, message: error.rawMessage };
}

const header = (key: string) => ({ headers: { [SERVICE_KEY_HEADER]: key } });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("callerGuard", () => {
  it("admits the callers a rule names: a service key, an operator's token, a module named in process", async () => {
    const { ran, transport } = exchange();
    const plain = createClient(Health, transport);
    expect((await plain.check({}, header(OPS_KEY))).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    await plain.check({}, bearer("operator-token"));
    await createClient(Health, asCaller(transport, "ops")).check({});
    for await (const answer of createClient(Health, asCaller(transport, "order")).watch({})) expect(answer.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    for await (const answer of plain.watch({}, header(ORDER_KEY))) expect(answer.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const holds = exchange(orderOnly);
    await createClient(Health, holds.transport).check({}, header(ORDER_KEY));
    await createClient(Health, asCaller(holds.transport, "order")).check({});
    expect([ran, holds.ran]).toEqual([["check", "check", "check", "watch", "watch"], ["check", "check"]]);
  });

  it("refuses a call without a credential: Unauthenticated (-1002), naming the RPC and who may call it", async () => {
    const { ran, transport } = exchange();
    expect(await refusal(createClient(Health, transport).check({}))).toMatchObject({
      code: Code.Unauthenticated,
      reason: "-1002",
      method: "grpc.health.v1.Health/Check",
      callers: "operators, ops",
      message: "grpc.health.v1.Health/Check needs an operator's bearer token or a service key (x-exchange-service-key).",
    });
    const holds = exchange(orderOnly);
    expect(await refusal(createClient(Health, holds.transport).check({}))).toMatchObject({ code: Code.Unauthenticated, reason: "-1002", callers: "order" });
    expect([ran, holds.ran]).toEqual([[], []]);
  });

  it("refuses a key nobody is admitted with, whatever else comes with it: Unauthenticated", async () => {
    const { ran, transport } = exchange();
    const plain = createClient(Health, transport);
    for (const key of [`${OPS_KEY}x`, OPS_KEY.slice(1), "short"]) {
      expect(await refusal(plain.check({}, header(key)))).toMatchObject({ code: Code.Unauthenticated, reason: "-1002" });
    }
    // A key decides even next to an operator's valid token.
    expect(await refusal(plain.check({}, { headers: { [SERVICE_KEY_HEADER]: "wrong", authorization: "Bearer operator-token" } }))).toMatchObject({ code: Code.Unauthenticated });
    expect(ran).toEqual([]);
  });

  it("refuses a caller the rule does not name: PermissionDenied (-2015), by key, by name in process, by token", async () => {
    const { ran, transport } = exchange(orderOnly);
    const plain = createClient(Health, transport);
    expect(await refusal(plain.check({}, header(EDGE_KEY)))).toMatchObject({ code: Code.PermissionDenied, reason: "-2015", message: "edge may not call grpc.health.v1.Health/Check.", callers: "order" });
    expect(await refusal(plain.check({}, header(OPS_KEY)))).toMatchObject({ code: Code.PermissionDenied, reason: "-2015" });
    expect(await refusal(createClient(Health, asCaller(transport, "edge")).check({}))).toMatchObject({ code: Code.PermissionDenied, message: "edge may not call grpc.health.v1.Health/Check." });
    // A name in process decides even next to a key that would pass.
    expect(await refusal(createClient(Health, asCaller(transport, "edge")).check({}, header(ORDER_KEY)))).toMatchObject({ code: Code.PermissionDenied });
    // A token where only services are admitted.
    expect(await refusal(plain.check({}, bearer("operator-token")))).toMatchObject({ code: Code.PermissionDenied, message: "grpc.health.v1.Health/Check is for order, not for a bearer token." });
    // A stream, refused before its handler runs.
    const operatorsToo = exchange();
    const stream = createClient(Health, asCaller(operatorsToo.transport, "marketdata")).watch({});
    expect(
      await refusal(
        (async () => {
          for await (const answer of stream) void answer;
        })(),
      ),
    ).toMatchObject({ code: Code.PermissionDenied });
    // A token without the role (auth's refusal, passed on), and one auth does not know.
    const checks = createClient(Health, operatorsToo.transport);
    expect(await refusal(checks.check({}, bearer("user-token")))).toMatchObject({ code: Code.PermissionDenied, reason: "-2015" });
    expect(await refusal(checks.check({}, bearer("forged")))).toMatchObject({ code: Code.Unauthenticated, reason: "-1002" });
    expect([ran, operatorsToo.ran]).toEqual([[], []]);
  });

  it("leaves RPCs outside the policy alone", async () => {
    const ran: string[] = [];
    const routes = (router: ConnectRouter) =>
      router.service(Health, {
        check: () => (ran.push("check"), { status: HealthCheckResponse_ServingStatus.SERVING }),
        watch: async function* () {},
      });
    const only = callerPolicy(Health, { watch: { services: ["order"], operators: false } });
    const transport: Transport = inProcessTransport(routes, [callerGuard({ policy: only, keys: readServiceKeys({}), operators })]);
    await createClient(Health, transport).check({});
    expect(ran).toEqual(["check"]);
  });
});

describe("presentServiceKey", () => {
  it("puts a service's key on the calls its name is admitted to, and on no other", async () => {
    const sent = new Map<string, string | null>();
    const present = presentServiceKey("order", ORDER_KEY, policy)(async (request) => {
      sent.set(request.method.name, request.header.get(SERVICE_KEY_HEADER));
      return undefined as never;
    });
    for (const method of [Health.method.check, Health.method.watch]) await present({ method, header: new Headers() } as never);
    expect(Object.fromEntries(sent)).toEqual({ Check: null, Watch: ORDER_KEY });
  });
});

describe("guardGaps", () => {
  const served = [Health.typeName];
  it("warns about a caller that runs elsewhere without an admitted key, never about ops", () => {
    expect(guardGaps(policy, { served, colocated: ["wallet"], keys: readServiceKeys({}) })).toEqual([
      "no key of order is admitted (EXCHANGE_CALLER_KEY_ORDER): its calls to grpc.health.v1.Health/Watch will be refused",
    ]);
    expect(guardGaps(policy, { served, colocated: ["order"], keys: readServiceKeys({}) })).toEqual([]);
    expect(guardGaps(policy, { served, colocated: ["wallet"], keys: readServiceKeys({ EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY }) })).toEqual([]);
  });

  it("warns a calling service without a key of its own", () => {
    expect(guardGaps(policy, { served: [], colocated: ["order"], caller: "order", keys: readServiceKeys({}) })).toEqual([
      "order has no EXCHANGE_SERVICE_KEY: its calls to grpc.health.v1.Health/Watch will be refused",
    ]);
    expect(guardGaps(policy, { served: [], colocated: ["order"], caller: "order", keys: readServiceKeys({ EXCHANGE_SERVICE_KEY: ORDER_KEY }) })).toEqual([]);
    expect(guardGaps(policy, { served: [], colocated: ["edge"], caller: "edge", keys: readServiceKeys({}) })).toEqual([]);
  });
});
