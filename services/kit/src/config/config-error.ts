import type { Env } from "./env.js";

/**
 * A setting that keeps the process from starting: missing, malformed, or naming a peer or an
 * engine that cannot be used. The entry point logs it as one line naming the setting and exits
 * non-zero (startFailure); anything else that fails at start is a bug and keeps its stack.
 * Messages never print a URL's password (redactUrl).
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    /** The environment variable (or flag) to fix, e.g. WALLET_ADDR. */
    readonly setting: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A value that cannot be used (a database URL of no known kind, an engine that does not answer),
 * thrown by the code that opens it, which knows the value but not the setting that gave it:
 * configErrorOf names the settings holding that value.
 */
export class SettingValueError extends Error {
  override readonly name = "SettingValueError";

  constructor(
    /** The value exactly as it was given (a URL, a comma-separated broker list). */
    readonly value: string,
    /** What is wrong with it, without the value's password. */
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(problem, options);
  }
}

/** `scheme://user:password@host` with the password (and a token-only user) hidden, for messages. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_all, scheme: string, credentials: string) => {
    const colon = credentials.indexOf(":");
    return `${scheme}${colon < 0 ? "***" : `${credentials.slice(0, colon)}:***`}@`;
  });
}

/** The innermost message of an error's causes, first line only (drivers wrap and run on). */
export function reasonOf(error: unknown): string {
  let reason = error instanceof Error ? error.message || error.name : String(error);
  for (let cause = error instanceof Error ? error.cause : undefined, depth = 0; cause instanceof Error && depth < 10; cause = cause.cause, depth++) {
    if (cause.message) reason = cause.message;
  }
  return reason.split("\n")[0]!;
}

const CONNECTION_FAILURES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET"]);

/** Whether an error (or one of its causes) is a connection that could not be made: refused, no such host, timed out. */
export function isConnectionFailure(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    if (CONNECTION_FAILURES.has(String((current as { code?: unknown }).code))) return true;
  }
  return false;
}

/** `value` (a URL, a broker list) named an engine that did not answer: an error saying so, with the driver's reason. */
export function unreachable(engine: string, value: string, error: unknown): SettingValueError {
  return new SettingValueError(value, `cannot connect to ${engine} at ${redactUrl(value)}: ${reasonOf(error)}`, { cause: error });
}

/**
 * The ConfigError an error raised at start amounts to, looking through its causes (a failed
 * migration wraps the connection error): a ConfigError as it is, a SettingValueError named after
 * the settings of `env` that hold its value. Undefined when it is not about configuration.
 */
export function configErrorOf(error: unknown, env: Env): ConfigError | undefined {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current); current = current.cause) {
    seen.add(current);
    if (current instanceof ConfigError) return current;
    if (current instanceof SettingValueError) {
      const { value } = current;
      const names = Object.keys(env)
        .filter((name) => env[name] === value)
        .sort();
      const setting = names.length > 0 ? names.join(", ") : "a default setting";
      return new ConfigError(setting, `${setting}: ${current.problem}`, { cause: current });
    }
  }
  return undefined;
}
