import type { DescMethod, DescService } from "@bufbuild/protobuf";

/** Who may call one guarded RPC. */
export interface CallerRule {
  /** Callers proven by a service key (or named in process): service names, and `ops` for operator tooling. */
  readonly services: readonly string[];
  /** Whether a person holding the operator role may call it with a bearer token (auth decides). */
  readonly operators: boolean;
}

/** The guarded RPCs and their rules; an RPC not in it is not guarded. */
export type CallerPolicy = ReadonlyMap<DescMethod, CallerRule>;

/** The operator tooling's identity (the bench, test harnesses, scripts): a key, no person's token. */
export const OPS = "ops";

/** A service's guarded RPCs, named by their local names (`createHold`). */
export function callerPolicy<S extends DescService>(service: S, rules: { readonly [K in keyof S["method"]]?: CallerRule }): CallerPolicy {
  const policy = new Map<DescMethod, CallerRule>();
  for (const [name, rule] of Object.entries(rules) as [string, CallerRule | undefined][]) {
    const method = (service.method as Record<string, DescMethod | undefined>)[name];
    if (!method) throw new Error(`${service.typeName} has no method ${name}`);
    if (rule) policy.set(method, rule);
  }
  return policy;
}

/** Several services' policies as one. */
export function mergePolicies(...policies: readonly CallerPolicy[]): CallerPolicy {
  return new Map(policies.flatMap((policy) => [...policy]));
}

/** `exchange.wallet.v1.WalletService/CreditAccount`, as errors and logs name an RPC. */
export function methodPath(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** The callers a rule admits, as a refusal names them: `order`, `operators, ops`. */
export function describeCallers(rule: CallerRule): string {
  return [...(rule.operators ? ["operators"] : []), ...rule.services].join(", ");
}
