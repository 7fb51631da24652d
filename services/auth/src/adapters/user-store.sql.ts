import { randomUUID } from "node:crypto";
import type { Kysely, Migration } from "kysely";
import { SqlOutbox, outboxMigration } from "#kit/outbox/outbox.sql.js";
import { appendOnlyAuditMigration, auditLogMigration } from "#kit/audit/audit-log.sql.js";
import type { NotificationEvent } from "#kit/ports/notifier.port.js";
import type { Notice } from "#kit/outbox/notice.js";
import { apiKeyCreatedNotice, passwordChangedNotice, signedInNotice } from "../domain/security-notices.js";

export const AUTH_OUTBOX = "auth_outbox";
import type { ApiKey, ApiKeyType, LoginEvent, RefreshToken, Session, SigningKey, User } from "../domain/account.js";
import { NO_FAILURES, type FailureRecord } from "../domain/lockout.js";
import type { Permission, Role } from "../domain/principal.js";
import type { UserStore } from "../ports/user-store.port.js";

// The one UserStore: SQLite (embedded) and PostgreSQL through the kit's Kysely layer.
// Times are BIGINT milliseconds; PostgreSQL returns int8 as strings, so every read goes
// through Number() (milliseconds fit a double exactly until the year 287396).

type Millis = number | string;

interface UsersTable {
  id: string;
  email: string;
  password_hash: string;
  roles: string;
  created_at: Millis;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: Millis;
  anti_phishing_code: string | null;
  security_changed_at: Millis;
  frozen_at?: Millis;
}

interface SessionsTable {
  id: string;
  user_id: string;
  created_at: Millis;
  last_used_at: Millis;
  expires_at: Millis;
  client_ip: string;
  user_agent: string;
  revoked_at: Millis | null;
}

interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: Millis;
  used_at: Millis | null;
}

interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: Millis | null;
}

interface ApiKeysTable {
  api_key: string;
  user_id: string;
  label: string;
  type: string;
  permissions: string;
  ip_allow_list: string;
  secret_sealed: string | null;
  public_key: string | null;
  created_at: Millis;
  revoked_at: Millis | null;
}

interface LoginEventsTable {
  id: string;
  user_id: string;
  time: Millis;
  client_ip: string;
  user_agent: string;
  success: number;
  reason: string;
}

interface FailuresTable {
  key: string;
  failures: number;
  locked_until: Millis;
  last_failure_at: Millis;
}

interface SigningKeysTable {
  kid: string;
  private_jwk_sealed: string;
  public_jwk: string;
  created_at: Millis;
  retired_at: Millis | null;
}

export interface AuthDb {
  auth_users: UsersTable;
  auth_sessions: SessionsTable;
  auth_refresh_tokens: RefreshTokensTable;
  auth_recovery_codes: RecoveryCodesTable;
  auth_api_keys: ApiKeysTable;
  auth_login_events: LoginEventsTable;
  auth_failures: FailuresTable;
  auth_signing_keys: SigningKeysTable;
}

/** Auth's audit log: role grants and revocations. */
export const AUTH_AUDIT_LOG = "auth_audit_log";

export const authMigrations: Record<string, Migration> = {
  "001_auth": {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable("auth_users")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("email", "text", (c) => c.notNull().unique())
        .addColumn("password_hash", "text", (c) => c.notNull())
        .addColumn("roles", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("totp_secret", "text")
        .addColumn("totp_pending", "text")
        .addColumn("totp_last_step", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("anti_phishing_code", "text")
        .addColumn("security_changed_at", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable("auth_sessions")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("client_ip", "text", (c) => c.notNull())
        .addColumn("user_agent", "text", (c) => c.notNull())
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("auth_sessions_user").ifNotExists().on("auth_sessions").column("user_id").execute();
      await db.schema
        .createTable("auth_refresh_tokens")
        .ifNotExists()
        .addColumn("token_hash", "text", (c) => c.primaryKey())
        .addColumn("session_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema
        .createTable("auth_recovery_codes")
        .ifNotExists()
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("code_hash", "text", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .addPrimaryKeyConstraint("auth_recovery_codes_pk", ["user_id", "code_hash"])
        .execute();
      await db.schema
        .createTable("auth_api_keys")
        .ifNotExists()
        .addColumn("api_key", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("label", "text", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("permissions", "text", (c) => c.notNull())
        .addColumn("ip_allow_list", "text", (c) => c.notNull())
        .addColumn("secret_sealed", "text")
        .addColumn("public_key", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema.createIndex("auth_api_keys_user").ifNotExists().on("auth_api_keys").column("user_id").execute();
      await db.schema
        .createTable("auth_login_events")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("user_id", "text", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("client_ip", "text", (c) => c.notNull())
        .addColumn("user_agent", "text", (c) => c.notNull())
        .addColumn("success", "integer", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("auth_login_events_user_time").ifNotExists().on("auth_login_events").columns(["user_id", "time"]).execute();
      await db.schema
        .createTable("auth_failures")
        .ifNotExists()
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("failures", "integer", (c) => c.notNull())
        .addColumn("locked_until", "bigint", (c) => c.notNull())
        .addColumn("last_failure_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("auth_signing_keys")
        .ifNotExists()
        .addColumn("kid", "text", (c) => c.primaryKey())
        .addColumn("private_jwk_sealed", "text", (c) => c.notNull())
        .addColumn("public_jwk", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("retired_at", "bigint")
        .execute();
    },
  },
  // Security notices (new API key, sign-in, password change), relayed to the notifier topic.
  "002_outbox": outboxMigration(AUTH_OUTBOX),
  // Account freezes by operators (the back office).
  "003_account_freeze": {
    up: async (db: Kysely<unknown>) => {
      await db.schema.alterTable("auth_users").addColumn("frozen_at", "bigint", (c) => c.notNull().defaultTo(0)).execute();
    },
  },
  // The back office's role changes (RoleAdminService), append-only.
  "004_audit_log": auditLogMigration(AUTH_AUDIT_LOG),
  // The database refuses UPDATE, DELETE and TRUNCATE of the audit log, not only this code.
  "005_audit_log_append_only": appendOnlyAuditMigration(AUTH_AUDIT_LOG),
};

const num = (value: Millis): number => Number(value);
const numOrNull = (value: Millis | null): number | null => (value === null ? null : Number(value));

function toUser(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    roles: row.roles.split(",").filter(Boolean) as Role[],
    createdAt: num(row.created_at),
    totpSecretSealed: row.totp_secret,
    totpPendingSealed: row.totp_pending,
    totpLastStep: num(row.totp_last_step),
    antiPhishingCode: row.anti_phishing_code,
    frozenAt: num(row.frozen_at ?? 0),
    securityChangedAt: num(row.security_changed_at),
  };
}

function toSession(row: SessionsTable): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: num(row.created_at),
    lastUsedAt: num(row.last_used_at),
    expiresAt: num(row.expires_at),
    clientIp: row.client_ip,
    userAgent: row.user_agent,
    revokedAt: numOrNull(row.revoked_at),
  };
}

function toApiKey(row: ApiKeysTable): ApiKey {
  return {
    apiKey: row.api_key,
    userId: row.user_id,
    label: row.label,
    type: row.type as ApiKeyType,
    permissions: row.permissions.split(",").filter(Boolean) as Permission[],
    ipAllowList: JSON.parse(row.ip_allow_list) as string[],
    secretSealed: row.secret_sealed,
    publicKey: row.public_key,
    createdAt: num(row.created_at),
    revokedAt: numOrNull(row.revoked_at),
  };
}

export class SqlUserStore implements UserStore {
  /** `notices`: write security notices to the outbox (when a notifier relays it). */
  constructor(
    private readonly db: Kysely<AuthDb>,
    private readonly notices = false,
  ) {}

  async createUser(user: User): Promise<boolean> {
    const result = await this.db
      .insertInto("auth_users")
      .values({
        id: user.id,
        email: user.email,
        password_hash: user.passwordHash,
        roles: user.roles.join(","),
        created_at: user.createdAt,
        totp_secret: user.totpSecretSealed,
        totp_pending: user.totpPendingSealed,
        totp_last_step: user.totpLastStep,
        anti_phishing_code: user.antiPhishingCode,
        security_changed_at: user.securityChangedAt,
      })
      .onConflict((conflict) => conflict.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findUserByEmail(email: string): Promise<User | undefined> {
    const row = await this.db.selectFrom("auth_users").selectAll().where("email", "=", email).executeTakeFirst();
    return row && toUser(row);
  }

  async findUserById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom("auth_users").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toUser(row);
  }

  async setPasswordHash(userId: string, passwordHash: string, securityChangedAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("auth_users").set({ password_hash: passwordHash, security_changed_at: securityChangedAt }).where("id", "=", userId).execute();
      await this.notify(trx, passwordChangedNotice(randomUUID(), userId, securityChangedAt));
    });
  }

  async setFrozenAt(userId: string, at: number): Promise<number | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const row = await tx.selectFrom("auth_users").select("frozen_at").where("id", "=", userId).executeTakeFirst();
      if (!row) return undefined;
      await tx.updateTable("auth_users").set({ frozen_at: at }).where("id", "=", userId).execute();
      return num(row.frozen_at ?? 0);
    });
  }

  async setRoles(userId: string, roles: readonly Role[]): Promise<void> {
    await this.db.updateTable("auth_users").set({ roles: roles.join(",") }).where("id", "=", userId).execute();
  }

  async setAntiPhishingCode(userId: string, code: string): Promise<void> {
    await this.db.updateTable("auth_users").set({ anti_phishing_code: code }).where("id", "=", userId).execute();
  }

  async setTotpPending(userId: string, sealed: string): Promise<void> {
    await this.db.updateTable("auth_users").set({ totp_pending: sealed }).where("id", "=", userId).execute();
  }

  async enableTotp(userId: string, recoveryCodeHashes: readonly string[], securityChangedAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("auth_users")
        .set((eb) => ({ totp_secret: eb.ref("totp_pending"), totp_pending: null, totp_last_step: 0, security_changed_at: securityChangedAt }))
        .where("id", "=", userId)
        .where("totp_pending", "is not", null)
        .execute();
      await trx.deleteFrom("auth_recovery_codes").where("user_id", "=", userId).execute();
      if (recoveryCodeHashes.length > 0) {
        await trx
          .insertInto("auth_recovery_codes")
          .values(recoveryCodeHashes.map((hash) => ({ user_id: userId, code_hash: hash, used_at: null })))
          .execute();
      }
    });
  }

  async advanceTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.db.updateTable("auth_users").set({ totp_last_step: step }).where("id", "=", userId).where("totp_last_step", "<", step).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("auth_recovery_codes")
      .set({ used_at: now })
      .where("user_id", "=", userId)
      .where("code_hash", "=", codeHash)
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async countUnusedRecoveryCodes(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom("auth_recovery_codes")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async markSecurityChange(userId: string, at: number): Promise<void> {
    await this.db.updateTable("auth_users").set({ security_changed_at: at }).where("id", "=", userId).execute();
  }

  async createSession(session: Session, firstToken: RefreshToken): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("auth_sessions")
        .values({
          id: session.id,
          user_id: session.userId,
          created_at: session.createdAt,
          last_used_at: session.lastUsedAt,
          expires_at: session.expiresAt,
          client_ip: session.clientIp,
          user_agent: session.userAgent,
          revoked_at: session.revokedAt,
        })
        .execute();
      await trx
        .insertInto("auth_refresh_tokens")
        .values({ token_hash: firstToken.tokenHash, session_id: firstToken.sessionId, created_at: firstToken.createdAt, used_at: firstToken.usedAt })
        .execute();
    });
  }

  async findSession(sessionId: string): Promise<Session | undefined> {
    const row = await this.db.selectFrom("auth_sessions").selectAll().where("id", "=", sessionId).executeTakeFirst();
    return row && toSession(row);
  }

  async listActiveSessions(userId: string, now: number): Promise<Session[]> {
    const rows = await this.db
      .selectFrom("auth_sessions")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .orderBy("created_at", "desc")
      .orderBy("id")
      .execute();
    return rows.map(toSession);
  }

  async revokeSession(sessionId: string, now: number): Promise<boolean> {
    const result = await this.db.updateTable("auth_sessions").set({ revoked_at: now }).where("id", "=", sessionId).where("revoked_at", "is", null).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async revokeAllSessions(userId: string, now: number, exceptSessionId?: string): Promise<void> {
    let query = this.db.updateTable("auth_sessions").set({ revoked_at: now }).where("user_id", "=", userId).where("revoked_at", "is", null);
    if (exceptSessionId) query = query.where("id", "!=", exceptSessionId);
    await query.execute();
  }

  async findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined> {
    const row = await this.db.selectFrom("auth_refresh_tokens").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
    return row && { tokenHash: row.token_hash, sessionId: row.session_id, createdAt: num(row.created_at), usedAt: numOrNull(row.used_at) };
  }

  async rotateRefreshToken(usedHash: string, next: RefreshToken, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.updateTable("auth_refresh_tokens").set({ used_at: now }).where("token_hash", "=", usedHash).where("used_at", "is", null).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx.insertInto("auth_refresh_tokens").values({ token_hash: next.tokenHash, session_id: next.sessionId, created_at: next.createdAt, used_at: null }).execute();
      await trx.updateTable("auth_sessions").set({ last_used_at: now }).where("id", "=", next.sessionId).execute();
      return true;
    });
  }

  async createApiKey(key: ApiKey): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await this.insertApiKey(trx, key);
      await this.notify(trx, apiKeyCreatedNotice(randomUUID(), key));
    });
  }

  private async insertApiKey(db: Kysely<AuthDb>, key: ApiKey): Promise<void> {
    await db
      .insertInto("auth_api_keys")
      .values({
        api_key: key.apiKey,
        user_id: key.userId,
        label: key.label,
        type: key.type,
        permissions: key.permissions.join(","),
        ip_allow_list: JSON.stringify(key.ipAllowList),
        secret_sealed: key.secretSealed,
        public_key: key.publicKey,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
      })
      .execute();
  }

  async findApiKey(apiKey: string): Promise<ApiKey | undefined> {
    const row = await this.db.selectFrom("auth_api_keys").selectAll().where("api_key", "=", apiKey).executeTakeFirst();
    return row && toApiKey(row);
  }

  async listApiKeys(userId: string): Promise<ApiKey[]> {
    const rows = await this.db
      .selectFrom("auth_api_keys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .orderBy("created_at")
      .orderBy("api_key")
      .execute();
    return rows.map(toApiKey);
  }

  async revokeApiKey(userId: string, apiKey: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable("auth_api_keys")
      .set({ revoked_at: now })
      .where("api_key", "=", apiKey)
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async addLoginEvent(event: LoginEvent): Promise<void> {
    const id = randomUUID();
    const notice = signedInNotice(id, event);
    if (!notice) return this.insertLoginEvent(this.db, id, event);
    await this.db.transaction().execute(async (trx) => {
      await this.insertLoginEvent(trx, id, event);
      await this.notify(trx, notice);
    });
  }

  /** A security notice for the user, in the outbox the notifier relay reads (same transaction as its record). */
  private async notify(trx: Kysely<AuthDb>, notice: NotificationEvent): Promise<void> {
    if (this.notices) await SqlOutbox.insert(trx as never, AUTH_OUTBOX, [notice], (notice.payload as Notice).time);
  }

  private async insertLoginEvent(db: Kysely<AuthDb>, id: string, event: LoginEvent): Promise<void> {
    await db
      .insertInto("auth_login_events")
      .values({
        id,
        user_id: event.userId,
        time: event.time,
        client_ip: event.clientIp,
        user_agent: event.userAgent,
        success: event.success ? 1 : 0,
        reason: event.reason,
      })
      .execute();
  }

  async listLoginEvents(userId: string, limit: number): Promise<LoginEvent[]> {
    const rows = await this.db.selectFrom("auth_login_events").selectAll().where("user_id", "=", userId).orderBy("time", "desc").orderBy("id").limit(limit).execute();
    return rows.map((row) => ({ userId: row.user_id, time: num(row.time), clientIp: row.client_ip, userAgent: row.user_agent, success: Number(row.success) === 1, reason: row.reason }));
  }

  async getFailures(key: string): Promise<FailureRecord> {
    const row = await this.db.selectFrom("auth_failures").selectAll().where("key", "=", key).executeTakeFirst();
    return row ? { failures: Number(row.failures), lockedUntil: num(row.locked_until), lastFailureAt: num(row.last_failure_at) } : NO_FAILURES;
  }

  async putFailures(key: string, record: FailureRecord): Promise<void> {
    const values = { failures: record.failures, locked_until: record.lockedUntil, last_failure_at: record.lastFailureAt };
    await this.db
      .insertInto("auth_failures")
      .values({ key, ...values })
      .onConflict((conflict) => conflict.column("key").doUpdateSet(values))
      .execute();
  }

  async clearFailures(key: string): Promise<void> {
    await this.db.deleteFrom("auth_failures").where("key", "=", key).execute();
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom("auth_signing_keys").selectAll().orderBy("created_at").orderBy("kid").execute();
    return rows.map((row) => ({ kid: row.kid, privateJwkSealed: row.private_jwk_sealed, publicJwk: row.public_jwk, createdAt: num(row.created_at), retiredAt: numOrNull(row.retired_at) }));
  }

  async rotateSigningKey(next: SigningKey): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable("auth_signing_keys").set({ retired_at: next.createdAt }).where("retired_at", "is", null).execute();
      await trx
        .insertInto("auth_signing_keys")
        .values({ kid: next.kid, private_jwk_sealed: next.privateJwkSealed, public_jwk: next.publicJwk, created_at: next.createdAt, retired_at: null })
        .execute();
    });
  }
}

