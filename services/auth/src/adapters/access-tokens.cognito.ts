import { createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { Role } from "../domain/principal.js";
import type { AccessClaims, AccessTokenVerifier } from "../ports/access-tokens.port.js";

export interface CognitoConfig {
  /** https://cognito-idp.<region>.amazonaws.com/<userPoolId>/.well-known/jwks.json */
  readonly jwksUrl: string;
  /** https://cognito-idp.<region>.amazonaws.com/<userPoolId> */
  readonly issuer: string;
  /** The app client id: `client_id` of access tokens, `aud` of ID tokens. */
  readonly clientId: string;
}

/**
 * AWS mode: bearer tokens are Amazon Cognito's (RS256), checked against the user pool's JWKS
 * (fetched and cached by jose, refetched on an unknown kid), its issuer, the app client id and
 * token_use. Roles come from `cognito:groups` (groups named admin / support).
 */
export class CognitoAccessTokenVerifier implements AccessTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly config: CognitoConfig,
    private readonly clock: Clock,
  ) {
    this.keys = createRemoteJWKSet(new URL(config.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  async verify(token: string): Promise<AccessClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.config.issuer,
        algorithms: ["RS256"],
        currentDate: new Date(this.clock.now()),
        requiredClaims: ["sub", "exp", "token_use"],
      }));
    } catch (error) {
      throw new DomainError("UNAUTHORIZED", `Invalid Cognito token: ${(error as Error).message}`, [], { cause: "invalid_token" });
    }
    const use = payload.token_use;
    const clientOk = use === "access" ? payload.client_id === this.config.clientId : use === "id" ? audienceIncludes(payload.aud, this.config.clientId) : false;
    if (!clientOk) throw new DomainError("UNAUTHORIZED", "Invalid Cognito token: wrong token_use or client.", [], { cause: "invalid_token" });
    const groups = Array.isArray(payload["cognito:groups"]) ? (payload["cognito:groups"] as unknown[]) : [];
    const roles: Role[] = ["user"];
    if (groups.includes("support")) roles.push("support");
    if (groups.includes("admin")) roles.push("admin");
    return { userId: payload.sub!, roles };
  }
}

function audienceIncludes(aud: JWTPayload["aud"], clientId: string): boolean {
  return Array.isArray(aud) ? aud.includes(clientId) : aud === clientId;
}
