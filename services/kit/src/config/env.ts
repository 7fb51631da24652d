// Configuration comes from environment variables with defaults that make embedded mode work
// with no setup. Reading is explicit and typed; a malformed value fails start-up with a ConfigError
// naming the variable (one log line, exit 1).

import { ConfigError } from "./config-error.js";

export type Env = Readonly<Record<string, string | undefined>>;

export function envString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === "" ? fallback : value;
}

export function envInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new ConfigError(name, `${name} must be an integer, got "${raw}"`);
  return value;
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (["1", "true", "yes", "on"].includes(raw.toLowerCase())) return true;
  if (["0", "false", "no", "off"].includes(raw.toLowerCase())) return false;
  throw new ConfigError(name, `${name} must be a boolean, got "${raw}"`);
}

export function envOneOf<const T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = envString(env, name, fallback);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `${name} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}
