import { Accounts } from "./accounts.use-case.js";
import { ApiKeys } from "./api-keys.use-case.js";
import type { AuthDeps } from "./auth-deps.js";
import { Authenticator } from "./authenticate.use-case.js";
import { Mfa } from "./mfa.use-case.js";

/** The auth use cases over one set of ports. */
export interface Auth {
  readonly accounts: Accounts;
  readonly mfa: Mfa;
  readonly apiKeys: ApiKeys;
  readonly authenticator: Authenticator;
  /** Our JWKS (empty in Cognito mode, where Cognito publishes its own). */
  jwks(): Promise<string>;
}

export function createAuth(deps: AuthDeps): Auth {
  const mfa = new Mfa(deps);
  return { accounts: new Accounts(deps, mfa), mfa, apiKeys: new ApiKeys(deps, mfa), authenticator: new Authenticator(deps), jwks: async () => (deps.issuer ? deps.issuer.jwks() : JSON.stringify({ keys: [] })) };
}
