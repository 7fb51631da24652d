import { create } from "@bufbuild/protobuf";
import {
  ApiKeyType as PbApiKeyType,
  Permission as PbPermission,
  Role as PbRole,
  type ApiKey as PbApiKey,
  ApiKeySchema,
  LoginEventSchema,
  type LoginEvent as PbLoginEvent,
  PrincipalSchema,
  type Principal as PbPrincipal,
  SessionSchema,
  type Session as PbSession,
  TokensSchema,
  type Tokens as PbTokens,
} from "#gen/exchange/auth/v1/auth_pb.js";
import type { ApiKey, ApiKeyType, LoginEvent, Session } from "../domain/account.js";
import type { Tokens } from "../domain/accounts.use-case.js";
import type { Permission, Principal, Role } from "../domain/principal.js";

const PERMISSION_TO_PB: Record<Permission, PbPermission> = { read: PbPermission.READ, trade: PbPermission.TRADE, withdraw: PbPermission.WITHDRAW };
const ROLE_TO_PB: Record<Role, PbRole> = { user: PbRole.USER, support: PbRole.SUPPORT, admin: PbRole.ADMIN, operator: PbRole.OPERATOR };

export function roleToPb(role: Role): PbRole {
  return ROLE_TO_PB[role];
}

export function roleFromPb(value: PbRole): Role | undefined {
  return (Object.entries(ROLE_TO_PB) as [Role, PbRole][]).find(([, pb]) => pb === value)?.[0];
}

export function permissionFromPb(value: PbPermission): Permission | undefined {
  return (Object.entries(PERMISSION_TO_PB) as [Permission, PbPermission][]).find(([, pb]) => pb === value)?.[0];
}

export function apiKeyTypeFromPb(value: PbApiKeyType): ApiKeyType {
  return value === PbApiKeyType.ED25519 ? "ed25519" : "hmac-sha256";
}

export function toPbTokens(tokens: Tokens): PbTokens {
  return create(TokensSchema, tokens);
}

export function toPbSession(session: Session): PbSession {
  return create(SessionSchema, {
    sessionId: session.id,
    createdAt: BigInt(session.createdAt),
    lastUsedAt: BigInt(session.lastUsedAt),
    clientIp: session.clientIp,
    userAgent: session.userAgent,
  });
}

export function toPbApiKey(key: ApiKey): PbApiKey {
  return create(ApiKeySchema, {
    apiKey: key.apiKey,
    label: key.label,
    type: key.type === "ed25519" ? PbApiKeyType.ED25519 : PbApiKeyType.HMAC_SHA256,
    permissions: key.permissions.map((p) => PERMISSION_TO_PB[p]),
    ipAllowList: [...key.ipAllowList],
    createdAt: BigInt(key.createdAt),
  });
}

export function toPbLoginEvent(event: LoginEvent): PbLoginEvent {
  return create(LoginEventSchema, { time: BigInt(event.time), clientIp: event.clientIp, userAgent: event.userAgent, success: event.success, reason: event.reason });
}

export function toPbPrincipal(principal: Principal): PbPrincipal {
  return create(PrincipalSchema, {
    userId: principal.userId,
    roles: principal.roles.map((r) => ROLE_TO_PB[r]),
    permissions: principal.permissions.map((p) => PERMISSION_TO_PB[p]),
    apiKey: principal.apiKey ?? "",
    sessionId: principal.sessionId ?? "",
    withdrawalLockedUntil: BigInt(principal.withdrawalLockedUntil),
    mfaEnabled: principal.mfaEnabled,
  });
}
