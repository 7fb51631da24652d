import { createHash, timingSafeEqual } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";
import { ConfigError } from "../config/config-error.js";
import type { Env } from "../config/env.js";
import type { CallerPolicy } from "./caller-policy.js";

/** The header a caller's service key travels in. */
export const SERVICE_KEY_HEADER = "x-exchange-service-key";

const OWN_KEY = "EXCHANGE_SERVICE_KEY";
const CALLER_KEY = /^EXCHANGE_CALLER_KEY_([A-Z][A-Z0-9_]*)$/;
const MIN_LENGTH = 32;
// Printable ASCII without space or comma: a header value as is, and a comma separates the keys of one caller.
const SHAPE = /^[\x21-\x2b\x2d-\x7e]+$/;

/** The service keys of this process: its own, and the callers it admits. */
export interface ServiceKeys {
  /** EXCHANGE_SERVICE_KEY: presented on this process's calls to the guarded RPCs its service may call. */
  readonly own: string | undefined;
  /** The names of the callers admitted (EXCHANGE_CALLER_KEY_<NAME>, lower-cased). */
  readonly admitted: readonly string[];
  /** The admitted caller whose key this is, compared in constant time with every admitted key; undefined if none. */
  identify(presented: string): string | undefined;
}

const digest = (key: string) => createHash("sha256").update(key).digest();

function checkedKey(setting: string, key: string): string {
  if (!SHAPE.test(key)) throw new ConfigError(setting, `${setting} must be printable ASCII without spaces or commas (e.g. openssl rand -base64 32)`);
  if (key.length < MIN_LENGTH) throw new ConfigError(setting, `${setting} must be at least ${MIN_LENGTH} characters (e.g. openssl rand -base64 32), got ${key.length}`);
  return key;
}

/**
 * EXCHANGE_SERVICE_KEY and every EXCHANGE_CALLER_KEY_<NAME> (several keys of one caller comma-separated, for a
 * rotation). A malformed or short key, or one key admitted under two names, is a ConfigError.
 */
export function readServiceKeys(env: Env): ServiceKeys {
  const ownValue = env[OWN_KEY];
  const own = ownValue ? checkedKey(OWN_KEY, ownValue) : undefined;
  const entries: { name: string; digest: Buffer; setting: string }[] = [];
  for (const [setting, value] of Object.entries(env)) {
    const match = CALLER_KEY.exec(setting);
    if (!match || !value) continue;
    const name = match[1]!.toLowerCase();
    for (const key of value.split(",")) {
      const sum = digest(checkedKey(setting, key.trim()));
      const twin = entries.find((entry) => entry.digest.equals(sum));
      if (twin && twin.name !== name) throw new ConfigError(setting, `${setting} admits a key ${twin.setting} admits too: each caller needs a key of its own`);
      entries.push({ name, digest: sum, setting });
    }
  }
  return {
    own,
    admitted: [...new Set(entries.map((entry) => entry.name))].sort(),
    identify(presented) {
      const sum = digest(presented);
      let found: string | undefined;
      // Every entry is compared, so the time taken says nothing about which one matched.
      for (const entry of entries) if (timingSafeEqual(sum, entry.digest)) found = entry.name;
      return found;
    },
  };
}

/** Client interceptor: `key` on the calls whose rule admits `caller`, on no other (a key is a bearer secret). */
export function presentServiceKey(caller: string, key: string, policy: CallerPolicy): Interceptor {
  return (next) => (request) => {
    if (policy.get(request.method)?.services.includes(caller)) request.header.set(SERVICE_KEY_HEADER, key);
    return next(request);
  };
}

/** Client interceptor for tooling (the bench, tests): `key` on every call of the transport. */
export function withServiceKey(key: string): Interceptor {
  return (next) => (request) => {
    request.header.set(SERVICE_KEY_HEADER, key);
    return next(request);
  };
}
