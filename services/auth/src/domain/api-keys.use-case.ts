import { DomainError } from "#kit/errors/domain-error.js";
import type { ApiKey, ApiKeyType } from "./account.js";
import { randomAlphanumeric, type AuthDeps } from "./auth-deps.js";
import type { Mfa } from "./mfa.use-case.js";
import { PERMISSIONS, type Permission } from "./principal.js";
import { parseEd25519PublicKey } from "./request-signing.js";

export interface CreateApiKeyInput {
  readonly userId: string;
  readonly label: string;
  readonly type: ApiKeyType;
  readonly permissions: readonly Permission[];
  readonly ipAllowList: readonly string[];
  /** Ed25519 only: the user's public key (PEM or base64 raw). Their private key never reaches us. */
  readonly publicKey?: string;
  readonly totpCode?: string;
}

/** API keys: created (MFA when enabled; a security change), listed, revoked. */
export class ApiKeys {
  constructor(
    private readonly deps: AuthDeps,
    private readonly mfa: Mfa,
  ) {}

  /** Returns the key and, for HMAC keys, its secret: shown this once, stored only sealed. */
  async create(input: CreateApiKeyInput): Promise<{ key: ApiKey; secret: string }> {
    await this.mfa.require(input.userId, input.totpCode);
    const permissions = PERMISSIONS.filter((p) => p === "read" || input.permissions.includes(p));
    if (permissions.includes("withdraw") && input.ipAllowList.length === 0) {
      throw new DomainError("INVALID_PARAMETER", "Keys with the withdraw permission need an IP allow-list.", [{ field: "ip_allow_list", description: "required with PERMISSION_WITHDRAW" }]);
    }
    let secret = "";
    let secretSealed: string | null = null;
    let publicKey: string | null = null;
    if (input.type === "hmac-sha256") {
      if (input.publicKey) throw new DomainError("INVALID_PARAMETER", "HMAC keys take no public_key.", [{ field: "public_key", description: "only for Ed25519 keys" }]);
      secret = randomAlphanumeric(64);
      secretSealed = await this.deps.box.seal(secret);
    } else {
      if (!input.publicKey) throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Ed25519 keys need the public_key.", [{ field: "public_key", description: "required for Ed25519" }]);
      publicKey = parseEd25519PublicKey(input.publicKey).export({ type: "spki", format: "pem" }).toString();
    }
    const now = this.deps.clock.now();
    const key: ApiKey = {
      apiKey: randomAlphanumeric(64),
      userId: input.userId,
      label: input.label,
      type: input.type,
      permissions,
      ipAllowList: [...new Set(input.ipAllowList)],
      secretSealed,
      publicKey,
      createdAt: now,
      revokedAt: null,
    };
    await this.deps.store.createApiKey(key);
    await this.deps.store.markSecurityChange(input.userId, now);
    return { key, secret };
  }

  list(userId: string): Promise<ApiKey[]> {
    return this.deps.store.listApiKeys(userId);
  }

  /** Someone else's key is reported as not found, like a key that never existed. */
  async revoke(userId: string, apiKey: string): Promise<void> {
    if (!(await this.deps.store.revokeApiKey(userId, apiKey, this.deps.clock.now()))) throw new DomainError("NOT_FOUND", "No such API key.");
  }
}
