import { join } from "node:path";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import { ConfigError, isConnectionFailure, unreachable } from "#kit/config/config-error.js";
import { requireRedis } from "#kit/adapters/redis-reachable.js";
import { envInt, envOneOf, envString, type Env } from "#kit/config/env.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { CognitoAccessTokenVerifier, type CognitoConfig } from "./adapters/access-tokens.cognito.js";
import { JoseAccessTokens } from "./adapters/access-tokens.jose.js";
import { Argon2PasswordHasher, DEFAULT_ARGON2_COST, type Argon2Cost } from "./adapters/password-hasher.argon2.js";
import { MemoryReplayCache } from "./adapters/replay-cache.memory.js";
import { DEFAULT_REPLAY_KEY_PREFIX, RedisReplayCache } from "./adapters/replay-cache.redis.js";
import { EnvelopeSecretBox } from "./adapters/secret-box.envelope.js";
import { AwsSecrets } from "./adapters/secrets.aws.js";
import { FileSecrets } from "./adapters/secrets.file.js";
import { OtplibTotp } from "./adapters/totp.otplib.js";
import { AUTH_AUDIT_LOG, AUTH_OUTBOX, authMigrations, SqlUserStore, type AuthDb } from "./adapters/user-store.sql.js";
import { RoleAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { SqlAuditLog } from "#kit/audit/audit-log.sql.js";
import { ManageRoles } from "./domain/manage-roles.use-case.js";
import { roleAdminRoutes } from "./rpc/role-admin.routes.js";
import { OutboxRelay } from "#kit/outbox/outbox-relay.js";
import { SqlOutbox } from "#kit/outbox/outbox.sql.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import { createAuth, type Auth } from "./domain/auth.js";
import { ACCOUNT_LOCKOUT, IP_LOCKOUT, type LockoutPolicy } from "./domain/lockout.js";
import type { AccountSecurity, MfaVerifier } from "./ports/mfa-verifier.port.js";
import type { ReplayCache } from "./ports/replay-cache.port.js";
import type { Secrets } from "./ports/secrets.port.js";
import type { UserStore } from "./ports/user-store.port.js";
import { authRoutes } from "./rpc/auth.routes.js";
import { jwksHttpRoute } from "./rpc/jwks.http.js";

export type SecretsConfig =
  | { readonly kind: "embedded"; readonly masterKey?: string; readonly keyFile: string }
  | { readonly kind: "aws"; readonly secretId: string; readonly endpoint?: string; readonly region?: string };

export interface AuthConfig {
  /** sqlite:<file> (embedded) or postgres://... */
  readonly databaseUrl: string;
  /** Security notices (new API key, sign-in, password change) go to an outbox relayed to this topic. */
  readonly notifications?: { readonly notifier: Notifier; readonly topic: string };
  /** "local": we issue tokens; "cognito": Amazon Cognito does, we verify them. */
  readonly mode: "local" | "cognito";
  readonly cognito?: CognitoConfig;
  readonly secrets: SecretsConfig;
  readonly argon2: Argon2Cost;
  readonly issuer: string;
  readonly audience: string;
  readonly accessTtlSeconds: number;
  readonly refreshTtlMs: number;
  readonly rotateSigningKeyAfterMs: number;
  readonly totpIssuer: string;
  readonly accountLockout?: LockoutPolicy;
  readonly ipLockout?: LockoutPolicy;
  /**
   * redis://... or rediss://...: signatures already used are kept there, shared by every replica
   * (required with more than one auth replica); unset: in this process's memory.
   */
  readonly replayCacheUrl?: string;
  /** Key prefix in that Redis (default `auth:replay:`). */
  readonly replayCachePrefix?: string;
  readonly logger?: Logger;
  /** Injected in tests. */
  readonly clock?: Clock;
  readonly replayCache?: ReplayCache;
}

/** Reads AUTH_* (and COGNITO_*) variables; every default works in embedded mode with no setup. */
export function readAuthConfig(env: Env, dataDir: string): AuthConfig {
  const mode = envOneOf(env, "AUTH_MODE", ["local", "cognito"], "local");
  const secretsKind = envOneOf(env, "AUTH_SECRETS", ["embedded", "aws"], "embedded");
  return {
    databaseUrl: envString(env, "AUTH_DATABASE_URL", `sqlite:${join(dataDir, "auth.sqlite")}`),
    mode,
    cognito:
      mode === "cognito"
        ? { jwksUrl: required(env, "COGNITO_JWKS_URL"), issuer: required(env, "COGNITO_ISSUER"), clientId: required(env, "COGNITO_CLIENT_ID") }
        : undefined,
    secrets:
      secretsKind === "aws"
        ? { kind: "aws", secretId: envString(env, "AUTH_MASTER_KEY_SECRET_ID", "exchange/auth/master-key"), endpoint: env.EXCHANGE_AWS_ENDPOINT || undefined, region: env.AWS_REGION || undefined }
        : { kind: "embedded", masterKey: env.AUTH_MASTER_KEY || undefined, keyFile: envString(env, "AUTH_MASTER_KEY_FILE", join(dataDir, "auth-master.key")) },
    argon2: {
      memoryCost: envInt(env, "AUTH_ARGON2_MEMORY_KIB", DEFAULT_ARGON2_COST.memoryCost),
      timeCost: envInt(env, "AUTH_ARGON2_TIME_COST", DEFAULT_ARGON2_COST.timeCost),
      parallelism: envInt(env, "AUTH_ARGON2_PARALLELISM", DEFAULT_ARGON2_COST.parallelism),
    },
    issuer: envString(env, "AUTH_ISSUER", "exchange-auth"),
    audience: envString(env, "AUTH_AUDIENCE", "exchange"),
    accessTtlSeconds: envInt(env, "AUTH_ACCESS_TTL_SECONDS", 900),
    refreshTtlMs: envInt(env, "AUTH_REFRESH_TTL_SECONDS", 30 * 24 * 3600) * 1000,
    rotateSigningKeyAfterMs: envInt(env, "AUTH_SIGNING_KEY_ROTATE_SECONDS", 24 * 3600) * 1000,
    totpIssuer: envString(env, "AUTH_TOTP_ISSUER", "Exchange"),
    replayCacheUrl: redisUrl(env, "AUTH_REPLAY_CACHE_URL"),
    replayCachePrefix: envString(env, "AUTH_REPLAY_CACHE_PREFIX", DEFAULT_REPLAY_KEY_PREFIX),
  };
}

/** An optional redis:// or rediss:// URL; anything else fails start-up (without printing it: it may hold a password). */
function redisUrl(env: Env, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  if (/^rediss?:\/\//.test(value)) return value;
  if (value.includes("$(")) throw new ConfigError(name, `${name} holds an unexpanded Kubernetes reference (${value}): is the variable it names (config.EXCHANGE_REDIS_URL in the chart) set?`);
  throw new ConfigError(name, `${name} must be a redis:// or rediss:// URL`);
}

function required(env: Env, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(name, `${name} is required when AUTH_MODE=cognito`);
  return value;
}

export function createSecrets(config: SecretsConfig): Secrets {
  if (config.kind === "embedded") return new FileSecrets({ envValue: config.masterKey, keyFile: config.keyFile });
  return new AwsSecrets(new SecretsManagerClient({ endpoint: config.endpoint, region: config.region }), config.secretId);
}

export interface AuthModule extends ServiceModule {
  readonly auth: Auth;
  readonly store: UserStore;
  /** For wallet in this process: TOTP / recovery-code check of a withdrawal. */
  readonly mfa: MfaVerifier;
  /** For wallet in this process: the 24 h withdrawal lock after a security change. */
  readonly security: AccountSecurity;
  /** Publishes the security notices' outbox, when notifications are on. */
  readonly relay?: OutboxRelay;
  /** Local mode only: forces a signing-key rotation. */
  rotateSigningKey(): Promise<string>;
  /** Serves /.well-known/jwks.json (a kit HandlerOptions.fallback). */
  readonly httpRoute: ReturnType<typeof jwksHttpRoute>;
}

/** Composition root of auth: opens and migrates its store, picks the adapters, builds the routes. */
export async function createAuthModule(config: AuthConfig): Promise<AuthModule> {
  const clock = config.clock ?? systemClock;
  const database = openDatabase<AuthDb>(config.databaseUrl);
  await migrate(database.db as never, "auth", authMigrations);
  const store = new SqlUserStore(database.db, config.notifications !== undefined);
  const relay = config.notifications
    ? new OutboxRelay({
        source: new SqlOutbox(database.db as never, AUTH_OUTBOX),
        notifier: config.notifications.notifier,
        topic: config.notifications.topic,
        onError: (error) => config.logger?.warn({ err: error }, "security notifications not relayed; retrying"),
      })
    : undefined;
  const box = new EnvelopeSecretBox(createSecrets(config.secrets));
  try {
    await box.open(await box.seal("start-up check")); // fail fast on an unreadable master key
  } catch (error) {
    // An endpoint that does not answer is EXCHANGE_AWS_ENDPOINT's fault; AWS's own answers stay as they are.
    if (config.secrets.kind === "aws" && config.secrets.endpoint && isConnectionFailure(error)) throw unreachable("Secrets Manager", config.secrets.endpoint, error);
    throw error;
  }
  const local = config.mode === "local" ? new JoseAccessTokens(store, box, clock, { issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds, rotateAfterMs: config.rotateSigningKeyAfterMs }) : undefined;
  const verifier = local ?? new CognitoAccessTokenVerifier(config.cognito!, clock);
  const logger = config.logger;
  // A Redis that does not answer at start is AUTH_REPLAY_CACHE_URL's fault: one line naming it (once
  // serving, auth refuses signed requests while Redis is away).
  if (!config.replayCache && config.replayCacheUrl) await requireRedis(config.replayCacheUrl);
  const sharedReplay = !config.replayCache && config.replayCacheUrl
    ? new RedisReplayCache({
        url: config.replayCacheUrl,
        clock,
        keyPrefix: config.replayCachePrefix,
        onError: (error) => logger?.error({ err: error }, "auth replay cache: Redis unreachable or failing; signed requests are refused until it is back"),
      })
    : undefined;
  const replay = config.replayCache ?? sharedReplay ?? new MemoryReplayCache(clock);
  const auth = createAuth({
    store,
    clock,
    passwords: new Argon2PasswordHasher(config.argon2),
    box,
    totp: new OtplibTotp(),
    replay,
    verifier,
    issuer: local,
    policy: { refreshTtlMs: config.refreshTtlMs, accountLockout: config.accountLockout ?? ACCOUNT_LOCKOUT, ipLockout: config.ipLockout ?? IP_LOCKOUT, totpIssuer: config.totpIssuer },
  });
  const roles = new ManageRoles({ store, audit: new SqlAuditLog(database.db as never, AUTH_AUDIT_LOG), clock });
  const routes = [authRoutes(auth), roleAdminRoutes({ roles, authenticator: auth.authenticator })];
  return {
    name: "auth",
    serviceNames: [AuthService.typeName, RoleAdminService.typeName],
    routes: (router) => {
      for (const mount of routes) mount(router);
    },
    auth,
    store,
    mfa: auth.mfa,
    security: auth.accounts,
    rotateSigningKey: async () => {
      if (!local) throw new Error("signing keys exist only in local mode");
      return local.rotate();
    },
    httpRoute: jwksHttpRoute(() => auth.jwks()),
    relay,
    start: async () => {
      relay?.start();
      if (!sharedReplay) return;
      // Best effort: an evicted key is a replay window, so say so when Redis may evict.
      const policy = await sharedReplay.evictionPolicy();
      if (policy !== undefined && policy !== "noeviction") {
        logger?.warn({ maxmemoryPolicy: policy }, "auth replay cache: Redis may evict keys under memory pressure (maxmemory-policy is not noeviction); an evicted signature could be replayed");
      }
    },
    stop: async () => {
      await relay?.stop();
      await sharedReplay?.close();
      await database.close();
    },
  };
}
