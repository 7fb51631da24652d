import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import { DomainError } from "#kit/errors/domain-error.js";
import type { Authenticator } from "../domain/authenticate.use-case.js";
import type { Principal } from "../domain/principal.js";

// How auth's own RPCs learn who calls: the `authorization: Bearer <access token>` request header,
// verified once per call by authenticated() below and kept in the handler context under
// principalKey. (A per-service Connect interceptor would replace the router's standard ones, so
// the check wraps the implementation instead.) Handlers then call assertCanAct with it.

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "exchange.auth.principal" });

export function bearerToken(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}

export function principalOf(context: HandlerContext): Principal {
  const principal = context.values.get(principalKey);
  if (!principal) throw new DomainError("UNAUTHORIZED", "Authentication required: send authorization: Bearer <access token>.");
  return principal;
}

type Handler = (request: never, context: HandlerContext) => unknown;

/**
 * Wraps every method of a service implementation except `open` ones: the bearer token must
 * verify (UNAUTHORIZED otherwise) and its principal is put in the context before the handler runs.
 */
export function authenticated<T extends Record<string, Handler>>(impl: T, open: readonly (keyof T)[], authenticator: Authenticator): T {
  const wrapped: Record<string, Handler> = {};
  for (const [name, handler] of Object.entries(impl)) {
    wrapped[name] = open.includes(name)
      ? handler
      : async (request, context) => {
          const token = bearerToken(context.requestHeader);
          if (!token) throw new DomainError("UNAUTHORIZED", "Authentication required: send authorization: Bearer <access token>.");
          context.values.set(principalKey, await authenticator.bearer(token));
          return handler(request, context);
        };
  }
  return wrapped as T;
}
