import type { Role } from "../domain/principal.js";

/** What a verified access token says. */
export interface AccessClaims {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** Our own tokens name their session; Cognito's do not. */
  readonly sessionId?: string;
}

export interface AccessTokenIssuer {
  /** Seconds an access token lives. */
  readonly ttlSeconds: number;
  issue(claims: AccessClaims & { sessionId: string }): Promise<string>;
  /** The public keys that verify current tokens, as a JWKS JSON document. */
  jwks(): Promise<string>;
}

/** Verifies bearer tokens: ours (local JWKS) or Amazon Cognito's (remote JWKS). Throws UNAUTHORIZED. */
export interface AccessTokenVerifier {
  verify(token: string): Promise<AccessClaims>;
}
