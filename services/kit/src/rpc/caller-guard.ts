import { createContextKey, createContextValues, type ContextValues, type Interceptor, type Transport, type UnaryRequest, type StreamRequest } from "@connectrpc/connect";
import { outgoingError, toConnectError } from "../errors/connect-errors.js";
import { DomainError } from "../errors/domain-error.js";
import type { OperatorGate } from "../ports/operator-gate.port.js";
import { describeCallers, methodPath, OPS, type CallerPolicy, type CallerRule } from "./caller-policy.js";
import { bearerIn } from "./operator.js";
import { SERVICE_KEY_HEADER, type ServiceKeys } from "./service-keys.js";

/** The module making an in-process call: a context value, which no network call can carry. */
const inProcessCaller = createContextKey<string | undefined>(undefined, { description: "the module calling in process" });

/** `transport` with every call naming `caller`; meant for in-process transports (a network transport drops the name). */
export function asCaller(transport: Transport, caller: string): Transport {
  const named = (values: ContextValues | undefined) => (values ?? createContextValues()).set(inProcessCaller, caller);
  return {
    unary: (method, signal, timeoutMs, header, input, contextValues) => transport.unary(method, signal, timeoutMs, header, input, named(contextValues)),
    stream: (method, signal, timeoutMs, header, input, contextValues) => transport.stream(method, signal, timeoutMs, header, input, named(contextValues)),
  };
}

export interface CallerGuardOptions {
  readonly policy: CallerPolicy;
  /** The service keys this process admits. */
  readonly keys: ServiceKeys;
  /** Decides operators' bearer tokens (auth). */
  readonly operators: OperatorGate;
}

/**
 * Server interceptor: a guarded RPC (one in `policy`) runs only for a caller its rule admits: a module named in
 * process, a service key, or an operator's bearer token. Anyone else is refused (Unauthenticated without a valid
 * credential, PermissionDenied for a caller not admitted) before the handler reads or changes anything.
 */
export function callerGuard(options: CallerGuardOptions): Interceptor {
  return (next) => async (request) => {
    const rule = options.policy.get(request.method);
    if (rule) await admit(rule, request, options);
    return next(request);
  };
}

async function admit(rule: CallerRule, request: UnaryRequest | StreamRequest, options: CallerGuardOptions): Promise<void> {
  const path = methodPath(request.method);
  const refusal = (key: "UNAUTHORIZED" | "FORBIDDEN", message: string) => toConnectError(new DomainError(key, message, [], { method: path, callers: describeCallers(rule) }));
  const named = request.contextValues.get(inProcessCaller);
  if (named !== undefined) {
    if (rule.services.includes(named)) return;
    throw refusal("FORBIDDEN", `${named} may not call ${path}.`);
  }
  const key = request.header.get(SERVICE_KEY_HEADER);
  if (key) {
    const caller = options.keys.identify(key);
    if (caller === undefined) throw refusal("UNAUTHORIZED", `The service key is not admitted here.`);
    if (rule.services.includes(caller)) return;
    throw refusal("FORBIDDEN", `${caller} may not call ${path}.`);
  }
  const token = bearerIn(request.header);
  if (token === undefined) throw refusal("UNAUTHORIZED", `${path} needs ${rule.operators ? "an operator's bearer token or " : ""}a service key (${SERVICE_KEY_HEADER}).`);
  if (!rule.operators) throw refusal("FORBIDDEN", `${path} is for ${rule.services.join(", ")}, not for a bearer token.`);
  try {
    await options.operators.authorize(token);
  } catch (error) {
    throw outgoingError(error);
  }
}

/**
 * What keeps guarded calls from working in this process's setup, as warnings for its start: a service this process
 * runs admits a caller that runs elsewhere but no key of it, or this process runs one service whose calls need its
 * key and has none. Operator tooling (`ops`) is optional and never warned about.
 */
export function guardGaps(policy: CallerPolicy, setup: { readonly served: readonly string[]; readonly colocated: readonly string[]; readonly caller?: string; readonly keys: ServiceKeys }): string[] {
  const gaps: string[] = [];
  const byCaller = new Map<string, string[]>();
  const calling: string[] = [];
  for (const [method, rule] of policy) {
    const served = setup.served.includes(method.parent.typeName);
    for (const name of rule.services) {
      if (served && name !== OPS && !setup.colocated.includes(name) && !setup.keys.admitted.includes(name)) byCaller.set(name, [...(byCaller.get(name) ?? []), methodPath(method)]);
    }
    if (!served && setup.caller !== undefined && rule.services.includes(setup.caller)) calling.push(methodPath(method));
  }
  for (const [name, methods] of byCaller) gaps.push(`no key of ${name} is admitted (EXCHANGE_CALLER_KEY_${name.toUpperCase()}): its calls to ${methods.join(", ")} will be refused`);
  if (calling.length > 0 && setup.keys.own === undefined) gaps.push(`${setup.caller} has no EXCHANGE_SERVICE_KEY: its calls to ${calling.join(", ")} will be refused`);
  return gaps;
}
